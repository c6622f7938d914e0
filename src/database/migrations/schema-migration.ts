import { Migration } from '@mikro-orm/migrations';
import type { Knex } from '@mikro-orm/knex';

/**
 * A migration written once with knex's schema builder, so the same file produces the right DDL on SQLite and on
 * MySQL/MariaDB (generated MikroORM migrations are dialect-specific).
 */
export abstract class SchemaMigration extends Migration {
  protected schema(build: (schema: Knex.SchemaBuilder) => Knex.SchemaBuilder): void {
    const knex = this.getKnex();
    for (const statement of build(knex.schema).toSQL()) {
      this.addSql(knex.raw(statement.sql, statement.bindings ?? []));
    }
  }
}
