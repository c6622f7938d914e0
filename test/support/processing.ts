import { MikroORM } from '@mikro-orm/core';
import type { INestApplicationContext } from '@nestjs/common';
import { setTimeout } from 'node:timers/promises';
import { JobWorkers } from '../../src/jobs/job-workers';
import { Photo } from '../../src/photos/photo.entity';
import { PhotoProcessing } from '../../src/photos/photo-processing.service';
import type { Browser } from './browser';

/**
 * Resolves once every photo the uploads left `processing` is ready or failed — an event to wait on, never a sleep.
 * With workers (the default ROLE=all) it waits until they have run every due job; an app without them (ROLE=web,
 * where a test wants to see photos while they are processing) has the processing done here, as its job would.
 */
export async function photosProcessed(app: INestApplicationContext): Promise<void> {
  const workers = app.get(JobWorkers);
  if (workers.started) return workers.idle();
  const waiting = await app
    .get(MikroORM)
    .em.fork()
    .find(Photo, { status: 'processing' }, { fields: ['id'] });
  for (const photo of waiting) await app.get(PhotoProcessing).process(photo.id);
}

/**
 * For an app in another process: asks for the gallery, as its processing cards do, until none of them is processing
 * (a condition, re-checked every 50 ms, not a fixed wait); resolves with that page.
 */
export async function galleryProcessed(browser: Browser): Promise<string> {
  for (;;) {
    const page = await browser.get('/');
    if (!page.text.includes('data-photo-state="processing"')) return page.text;
    await setTimeout(50);
  }
}
