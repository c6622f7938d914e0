import { MikroORM } from '@mikro-orm/core';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadConfig } from '../../config/app-config';
import { databaseOptions } from '../../database/database-options';
import { CliCommand, CliUsageError } from '../cli-command';

export const migrateCommand: CliCommand = {
  name: 'migrate',
  usage: '[up|down|pending]',
  summary: 'Apply pending database migrations (default), revert the last one, or list the pending ones.',
  async run([action = 'up', ...rest]) {
    if (rest.length || !['up', 'down', 'pending'].includes(action))
      throw new CliUsageError(`Unknown action "${[action, ...rest].join(' ')}".`);
    const config = loadConfig();
    if (config.database.driver === 'sqlite') mkdirSync(dirname(config.database.file), { recursive: true });
    const orm = await MikroORM.init(databaseOptions(config, (message) => console.log(message)));
    try {
      const migrator = orm.getMigrator();
      if (action === 'up') {
        const applied = await migrator.up();
        console.log(applied.length ? `Applied ${applied.length} migration(s).` : 'The database is up to date.');
      } else if (action === 'down') {
        const reverted = await migrator.down();
        console.log(reverted.length ? `Reverted ${reverted.map((m) => m.name).join(', ')}.` : 'Nothing to revert.');
      } else {
        const pending = await migrator.getPendingMigrations();
        console.log(pending.length ? pending.map((m) => m.name).join('\n') : 'No pending migrations.');
      }
      return 0;
    } finally {
      await orm.close();
    }
  },
};
