import { Options } from '@mikro-orm/core';
import { LibSqlDriver } from '@mikro-orm/libsql';
import { Migrator } from '@mikro-orm/migrations';
import { MariaDbDriver } from '@mikro-orm/mariadb';
import { MySqlDriver } from '@mikro-orm/mysql';
import { EnvConfig } from '../config/app-config';
import { entities } from './entities';
import { migrationsList } from './migrations';

/** MikroORM options for the configured database: embedded SQLite (libsql) by default, MySQL/MariaDB by DATABASE_URL. */
export function databaseOptions(config: Pick<EnvConfig, 'database'>, log?: (message: string) => void): Options {
  const common: Options = {
    entities,
    // MikroORM logs only the migrator's progress by default ("Applied 'Migration…'"); route it to the app's logger.
    logger: log ?? (() => undefined),
    colors: false,
    extensions: [Migrator],
    forceUtcTimezone: true,
    allowGlobalContext: false,
    migrations: {
      migrationsList,
      snapshot: false,
      // MySQL commits DDL implicitly, so wrapping migrations in a transaction only produces warnings there.
      transactional: config.database.driver === 'sqlite',
      allOrNothing: config.database.driver === 'sqlite',
    },
  };
  switch (config.database.driver) {
    case 'sqlite':
      return { ...common, driver: LibSqlDriver, dbName: config.database.file };
    case 'mysql':
      return { ...common, driver: MySqlDriver, clientUrl: config.database.url };
    case 'mariadb':
      return { ...common, driver: MariaDbDriver, clientUrl: config.database.url.replace(/^mariadb:/, 'mysql:') };
  }
}
