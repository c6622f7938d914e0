import { MikroORM } from '@mikro-orm/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { DynamicModule, Inject, Logger, Module, OnModuleInit } from '@nestjs/common';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../common/private-files';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { databaseOptions } from './database-options';

const logger = new Logger('Database');

/**
 * MikroORM on the configured database. Pending migrations are applied, and logged, when the app starts
 * (`npm run migrate` applies them without starting the app).
 */
@Module({})
export class DatabaseModule implements OnModuleInit {
  static forRoot(config: AppConfig): DynamicModule {
    if (config.database.driver === 'sqlite') createPrivately(config.database.file);
    const options = databaseOptions(config, (message) => logger.log(message.replace(/^\[migrator\] /, '')));
    // The request context is opened in app.setup.ts, before the session store and passport need it.
    return { module: DatabaseModule, imports: [MikroOrmModule.forRoot({ ...options, registerRequestContext: false })] };
  }

  constructor(
    private readonly orm: MikroORM,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const where = this.config.database.driver === 'sqlite' ? this.config.database.file : this.config.database.driver;
    const applied = await this.orm.getMigrator().up();
    logger.log(
      applied.length > 0
        ? `Applied ${applied.length} migration(s) to ${where}: ${applied.map((m) => m.name).join(', ')}`
        : `Database ${where} is up to date`,
    );
  }
}

/** The SQLite file is made (empty) before SQLite opens it, so it is private; its journal files take its mode. */
function createPrivately(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
}
