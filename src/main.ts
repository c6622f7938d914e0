import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { ConfigError, loadConfig } from './config/app-config';
import { loadEnvFile } from './config/env-file';
import { withSessionSecret } from './config/session-secret';
import { createFilesPrivately } from './common/private-files';

async function bootstrap(): Promise<void> {
  createFilesPrivately();
  loadEnvFile();
  let config;
  try {
    config = withSessionSecret(loadConfig());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger: new ConsoleLogger({ json: true, colors: false }),
    bodyParser: false,
  });
  configureApp(app, config);
  await app.listen(config.port);
  const database = config.database.driver === 'sqlite' ? `SQLite at ${config.database.file}` : config.database.driver;
  const role = { all: 'web and jobs', web: 'web only, no jobs', worker: 'jobs only; health checks on this port' }[config.role];
  new Logger('Photosphere').log(`Listening on ${config.baseUrl} (port ${config.port}, database: ${database}, role: ${role})`);
}

void bootstrap();
