import { SchemaMigration } from './schema-migration';

/** Users and the database-backed session store. */
export class Migration20261126090000_accounts extends SchemaMigration {
  override async up(): Promise<void> {
    this.schema((schema) =>
      schema
        .createTable('users', (t) => {
          t.string('id', 36).notNullable().primary();
          t.string('username', 32).notNullable();
          t.string('username_key', 32).notNullable().unique();
          t.string('email', 254).notNullable().unique();
          t.string('password_hash', 255).notNullable();
          t.datetime('created_at').notNullable();
          t.datetime('last_login_at').nullable();
        })
        .createTable('sessions', (t) => {
          t.string('sid', 64).notNullable().primary();
          t.text('data').notNullable();
          t.datetime('expires_at').notNullable().index();
          t.string('user_id', 36).nullable().index();
        }),
    );
  }

  override async down(): Promise<void> {
    this.schema((schema) => schema.dropTable('sessions').dropTable('users'));
  }
}
