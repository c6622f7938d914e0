import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module';
import { loadConfig } from '../config/app-config';
import { loadEnvFile } from '../config/env-file';
import { withSessionSecret } from '../config/session-secret';
import { StorageCheckService } from '../photos/storage-check.service';

/** `npm run storage:check`: removes orphan blobs, photos whose blobs are missing, and interrupted uploads. */
async function main(): Promise<void> {
  loadEnvFile();
  const config = { ...withSessionSecret(loadConfig()), storageCheckOnStart: false };
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: ['error', 'warn'] });
  try {
    const report = await app.get(StorageCheckService).run();
    console.log(`Orphan blobs removed: ${report.orphanBlobs}`);
    console.log(`Photos with missing blobs removed: ${report.missingBlobs}`);
    console.log(`Interrupted uploads removed: ${report.stalePending}`);
  } finally {
    await app.close();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
