import { MikroORM } from '@mikro-orm/core';
import type { INestApplicationContext } from '@nestjs/common';
import { Photo } from '../../src/photos/photo.entity';
import { PhotoProcessing } from '../../src/photos/photo-processing.service';

/**
 * Waits until every photo the upload requests left `processing` is ready or failed, by doing their processing here
 * (it is idempotent, so a worker doing the same meanwhile changes nothing): an event to wait on, never a sleep.
 */
export async function photosProcessed(app: INestApplicationContext): Promise<void> {
  const waiting = await app
    .get(MikroORM)
    .em.fork()
    .find(Photo, { status: 'processing' }, { fields: ['id'] });
  for (const photo of waiting) await app.get(PhotoProcessing).process(photo.id);
}
