import { MikroORM, RequestContext } from '@mikro-orm/core';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { AppModule } from '../app.module';
import { loadConfig } from '../config/app-config';
import { withSessionSecret } from '../config/session-secret';

/**
 * Runs `work` inside the app's modules (database, storage, mail) without an HTTP server, then closes them. The work
 * gets its own MikroORM context, as an HTTP request does, so commands use the services as they are.
 */
export async function withAppContext<T>(work: (app: INestApplicationContext) => Promise<T>): Promise<T> {
  const config = { ...withSessionSecret(loadConfig()), storageCheckOnStart: false };
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: ['error', 'warn'] });
  try {
    return await RequestContext.create(app.get(MikroORM).em, () => work(app));
  } finally {
    await app.close();
  }
}
