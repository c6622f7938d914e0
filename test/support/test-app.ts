import { DynamicModule, LoggerService, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { CLOCK } from '../../src/common/time/clock';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { withSessionSecret } from '../../src/config/session-secret';
import { FakeClock } from './fake-clock';
import { Backend, createTestDatabase, TestDatabase } from './test-database';

export interface TestApp {
  app: NestExpressApplication;
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
}

/** The real app — same module, same Express setup as main.ts — on a fresh database of the given backend. */
export async function createTestApp(backend: Backend, options: TestAppOptions = {}): Promise<TestApp> {
  const db = await createTestDatabase(backend);
  const clock = new FakeClock();
  const config = { ...withSessionSecret(loadConfig({ NODE_ENV: 'test', DATA_DIR: db.dataDir, ...options.env })), database: db.database };
  const apps: NestExpressApplication[] = [];
  const start = async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config), ...(options.imports ?? [])] })
      .overrideProvider(CLOCK)
      .useValue(clock)
      .compile();
    const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: options.logger ?? false });
    configureApp(app, config);
    await app.init();
    apps.push(app);
    return app;
  };
  const app = await start();
  return {
    app,
    config,
    clock,
    db,
    restart: start,
    close: async () => {
      for (const started of apps) await started.close();
      await db.drop();
    },
  };
}
