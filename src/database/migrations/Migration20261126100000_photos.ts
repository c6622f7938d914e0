import { SchemaMigration } from './schema-migration';

/** Photos, with the index that keeps the gallery's keyset pagination fast at any library size. */
export class Migration20261126100000_photos extends SchemaMigration {
  override async up(): Promise<void> {
    this.schema((schema) =>
      schema.createTable('photos', (t) => {
        t.string('id', 36).notNullable().primary();
        t.string('owner_id', 36).notNullable();
        t.string('display_name', 255).notNullable();
        t.string('content_type', 32).notNullable();
        t.integer('size_bytes').notNullable();
        t.integer('width').notNullable();
        t.integer('height').notNullable();
        t.string('sha256', 64).notNullable();
        t.datetime('taken_at').nullable();
        t.datetime('uploaded_at', { precision: 3 }).notNullable();
        t.string('status', 16).notNullable();
        t.index(['owner_id', 'status', 'uploaded_at', 'id']);
        t.unique(['owner_id', 'sha256']);
      }),
    );
  }

  override async down(): Promise<void> {
    this.schema((schema) => schema.dropTable('photos'));
  }
}
