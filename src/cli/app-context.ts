import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { AppModule } from '../app.module';
import { loadConfig } from '../config/app-config';
import { withSessionSecret } from '../config/session-secret';

/** Runs `work` inside the app's modules (database, storage, mail) without an HTTP server, then closes them. */
export async function withAppContext<T>(work: (app: INestApplicationContext) => Promise<T>): Promise<T> {
  const config = { ...withSessionSecret(loadConfig()), storageCheckOnStart: false };
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: ['error', 'warn'] });
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}
