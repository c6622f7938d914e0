import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/core';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadConfig } from '../config/app-config';
import { loadEnvFile } from '../config/env-file';
import { databaseOptions } from '../database/database-options';

/** `npm run migrate [up|down|pending]`: applies (or lists, or reverts the last of) the migrations. */
async function main(command = 'up'): Promise<void> {
  loadEnvFile();
  const config = loadConfig();
  if (config.database.driver === 'sqlite') mkdirSync(dirname(config.database.file), { recursive: true });
  const orm = await MikroORM.init(databaseOptions(config, (message) => console.log(message)));
  try {
    const migrator = orm.getMigrator();
    if (command === 'up') {
      const applied = await migrator.up();
      console.log(applied.length ? `Applied ${applied.length} migration(s).` : 'The database is up to date.');
    } else if (command === 'down') {
      const reverted = await migrator.down();
      console.log(reverted.length ? `Reverted ${reverted.map((m) => m.name).join(', ')}.` : 'Nothing to revert.');
    } else if (command === 'pending') {
      const pending = await migrator.getPendingMigrations();
      console.log(pending.length ? pending.map((m) => m.name).join('\n') : 'No pending migrations.');
    } else {
      throw new Error(`Unknown command "${command}": use up, down or pending.`);
    }
  } finally {
    await orm.close();
  }
}

main(process.argv[2]).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
