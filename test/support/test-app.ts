import { DynamicModule, LoggerService, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { CLOCK } from '../../src/common/time/clock';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { withSessionSecret } from '../../src/config/session-secret';
import { randomBytes } from 'node:crypto';
import { Azurite, startAzurite } from './azurite';
import { FakeClock } from './fake-clock';
import { Backend, createTestDatabase, TestDatabase } from './test-database';

export interface TestApp {
  app: NestExpressApplication;
  /** Set when photos are stored in Azure (Azurite, in this process): tests can stop and restart it. */
  azurite?: Azurite;
  config: AppConfig;
  clock: FakeClock;
  db: TestDatabase;
  /** Starts another app on the same database and DATA_DIR, like a restart or a second instance. */
  restart(): Promise<NestExpressApplication>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Extra environment variables, as an operator would set them. */
  env?: Record<string, string>;
  logger?: LoggerService | false;
  /** Test-only modules mounted beside the app's own (e.g. a route that throws). */
  imports?: Array<Type | DynamicModule>;
  /** Where photos go; by default local disk with SQLite and Azure (Azurite) with MySQL, as in CI. */
  storage?: 'local' | 'azure';
  /** For MySQL: the server to create the database on, instead of TEST_DATABASE_URL's. */
  databaseServer?: string;
}

/** The real app — same module, same Express setup as main.ts — on a fresh database of the given backend. */
export async function createTestApp(backend: Backend, options: TestAppOptions = {}): Promise<TestApp> {
  const db = await createTestDatabase(backend, options.databaseServer);
  const clock = new FakeClock();
  const storage = options.storage ?? (backend === 'mysql' ? 'azure' : 'local');
  const azurite = storage === 'azure' ? await startAzurite() : undefined;
  const env = { NODE_ENV: 'test', DATA_DIR: db.dataDir, STORAGE_CHECK_ON_START: 'false', TRUST_PROXY: 'loopback', ...options.env };
  if (azurite)
    Object.assign(env, {
      AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
      AZURE_STORAGE_CONTAINER: `photos-${randomBytes(4).toString('hex')}`,
    });
  const config = { ...withSessionSecret(loadConfig(env)), database: db.database };
  const apps: NestExpressApplication[] = [];
  const start = async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config), ...(options.imports ?? [])] })
      .overrideProvider(CLOCK)
      .useValue(clock)
      .compile();
    const app = moduleRef.createNestApplication<NestExpressApplication>({
      bodyParser: false,
      logger: options.logger ?? (process.env.TEST_LOGS ? undefined : false),
    });
    configureApp(app, config);
    await app.init();
    apps.push(app);
    return app;
  };
  const app = await start();
  return {
    app,
    azurite,
    config,
    clock,
    db,
    restart: start,
    close: async () => {
      for (const started of apps) await started.close();
      await azurite?.stop();
      await db.drop();
    },
  };
}
