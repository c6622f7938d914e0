import { SchemaMigration } from './schema-migration';

/**
 * Roles, disabled accounts and storage quotas on users; instance settings (the registration mode); invitations.
 * An instance that already has users gets its oldest account as admin, so someone can manage it after the upgrade,
 * and every account's bytes used are counted from the photos it already has.
 */
export class Migration20261126120000_roles_and_quotas extends SchemaMigration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    this.schema((schema) =>
      schema
        .alterTable('users', (t) => {
          t.string('role', 16).notNullable().defaultTo('user');
          t.datetime('disabled_at').nullable();
          t.bigInteger('quota_bytes').nullable();
          // A raw 0: knex would write the SQLite default as the string '0'.
          t.bigInteger('used_bytes').notNullable().defaultTo(knex.raw('0'));
        })
        .createTable('settings', (t) => {
          t.string('name', 64).notNullable().primary();
          t.string('value', 255).notNullable();
        })
        .createTable('invitations', (t) => {
          t.string('id', 36).notNullable().primary();
          t.string('token_hash', 64).notNullable().unique();
          t.string('created_by_id', 36).notNullable();
          t.datetime('created_at').notNullable();
          t.datetime('expires_at', { precision: 3 }).notNullable();
          t.datetime('used_at').nullable();
          t.string('used_by_id', 36).nullable();
        }),
    );
    // The oldest account becomes admin when an existing instance is upgraded (no-op on an empty one).
    this.addSql(
      "update users set role = 'admin' where id in (select id from (select id from users order by created_at, id limit 1) as oldest)",
    );
    this.addSql('update users set used_bytes = (select coalesce(sum(size_bytes), 0) from photos where photos.owner_id = users.id)');
  }

  override async down(): Promise<void> {
    this.schema((schema) =>
      schema
        .dropTable('invitations')
        .dropTable('settings')
        .alterTable('users', (t) => {
          t.dropColumn('used_bytes');
          t.dropColumn('quota_bytes');
          t.dropColumn('disabled_at');
          t.dropColumn('role');
        }),
    );
  }
}
