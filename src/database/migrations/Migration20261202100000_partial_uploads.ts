import { SchemaMigration } from './schema-migration';

/** Resumable uploads not yet finished: their owner, declared name and length, and expiry (see PartialUploads). */
export class Migration20261202100000_partial_uploads extends SchemaMigration {
  override async up(): Promise<void> {
    this.schema((schema) =>
      schema.createTable('partial_uploads', (t) => {
        t.string('id', 32).notNullable().primary();
        t.string('owner_id', 36).notNullable();
        t.string('filename', 255).notNullable();
        t.integer('length').notNullable();
        t.datetime('created_at').notNullable();
        t.datetime('expires_at', { precision: 3 }).notNullable();
        t.index(['owner_id', 'expires_at']);
      }),
    );
  }

  override async down(): Promise<void> {
    this.schema((schema) => schema.dropTable('partial_uploads'));
  }
}
