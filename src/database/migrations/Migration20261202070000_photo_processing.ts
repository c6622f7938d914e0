import { SchemaMigration } from './schema-migration';

/**
 * Photos are processed after the upload answers: a row can now be `processing` or `failed` (with the reason shown on
 * its card) as well as `pending` and `ready`. The gallery shows every state but `pending`, so its index leads with
 * the owner and the keyset order and carries the status last, for the filter to be read from the index alone.
 */
export class Migration20261202070000_photo_processing extends SchemaMigration {
  override async up(): Promise<void> {
    this.schema((schema) =>
      schema.alterTable('photos', (t) => {
        t.string('failure_reason', 255).nullable();
        t.dropIndex(['owner_id', 'status', 'uploaded_at', 'id']);
        t.index(['owner_id', 'uploaded_at', 'id', 'status']);
      }),
    );
  }

  override async down(): Promise<void> {
    this.schema((schema) =>
      schema.alterTable('photos', (t) => {
        t.dropIndex(['owner_id', 'uploaded_at', 'id', 'status']);
        t.index(['owner_id', 'status', 'uploaded_at', 'id']);
      }),
    );
    // Plain SQL: both MySQL and SQLite (3.35+) drop a column in place.
    this.addSql('alter table photos drop column failure_reason');
  }
}
