import { SchemaMigration } from './schema-migration';

/** Which instance wrote a pending photo, so that instance can clean up its own interrupted uploads when it restarts. */
export class Migration20261126121500_photo_uploader extends SchemaMigration {
  override async up(): Promise<void> {
    this.schema((schema) => schema.alterTable('photos', (t) => t.string('uploader', 64).nullable()));
  }

  override async down(): Promise<void> {
    // Plain SQL: both MySQL and SQLite (3.35+) drop a column in place.
    this.addSql('alter table photos drop column uploader');
  }
}
