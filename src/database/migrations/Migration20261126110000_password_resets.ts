import { SchemaMigration } from './schema-migration';

/** Password reset links (hashed tokens). */
export class Migration20261126110000_password_resets extends SchemaMigration {
  override async up(): Promise<void> {
    this.schema((schema) =>
      schema.createTable('password_resets', (t) => {
        t.string('token_hash', 64).notNullable().primary();
        t.string('user_id', 36).notNullable().index();
        t.datetime('expires_at', { precision: 3 }).notNullable();
      }),
    );
  }

  override async down(): Promise<void> {
    this.schema((schema) => schema.dropTable('password_resets'));
  }
}
