import { CreateRequestContext, EntityManager } from '@mikro-orm/core';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { PRIVATE_DIR_MODE, writeNewPrivateFile } from '../common/private-files';
import { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { JobHandlers } from '../jobs/job-handlers';
import { BLOB_STORAGE, BlobNotFoundError, BlobStorage } from '../storage/blob-storage.port';
import { ImageProcessor, ImageRejectedError } from './image-processor';
import { Photo } from './photo.entity';
import { photoKeys } from './photo-keys';
import { PhotoRows } from './photo-rows';
import { PROCESS_PHOTO } from './process-photo.job';

/** A photo's failure reason when its processing job has given up. */
export const GAVE_UP = 'Could not be processed; please try uploading it again.';

/**
 * The work after an upload has answered: decode the original once, store the thumbnail and the preview, read the EXIF
 * capture date and mark the photo `ready`. A file that cannot be decoded is marked `failed` with the reason, its
 * original removed and its bytes given back; so is a photo whose job gave up after its last attempt. Idempotent: a run after a crash overwrites the renditions and ends the
 * same way, and a photo that is ready, failed or gone is left as it is. Runs as the PROCESS_PHOTO job, on the workers;
 * a job whose process died is taken again once its lease expires (or when its instance restarts).
 */
@Injectable()
export class PhotoProcessing implements OnModuleInit {
  private readonly logger = new Logger(PhotoProcessing.name);
  /** This instance's copies of originals being processed: decoded from a file, a 30 MB original is never in memory. */
  private readonly workDir: string;

  constructor(
    private readonly em: EntityManager,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
    private readonly images: ImageProcessor,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly rows: PhotoRows,
    private readonly handlers: JobHandlers,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.workDir = join(config.dataDir, 'tmp', 'processing', config.instanceId);
  }

  /**
   * Registers the job's handler. An instance starting (not `npm run cli`) first empties its own folder of originals
   * being processed: before its workers start, so none is in use.
   */
  async onModuleInit(): Promise<void> {
    if (this.adapterHost.httpAdapter) await rm(this.workDir, { recursive: true, force: true });
    this.handlers.register(PROCESS_PHOTO, ({ photoId }) => this.process(photoId), { onGiveUp: ({ photoId }) => this.giveUp(photoId) });
  }

  @CreateRequestContext()
  async process(photoId: string): Promise<void> {
    const photo = await this.em.findOne(Photo, { id: photoId });
    if (photo?.status === 'failed') return this.removeBlobs(photo);
    if (photo?.status !== 'processing') return;
    const original = join(this.workDir, `${photo.id}-${randomUUID()}`);
    try {
      if (await this.copyOriginal(photo, original)) await this.processFile(photo, original);
    } finally {
      await rm(original, { force: true });
    }
  }

  /**
   * The job failed on every attempt (storage down the whole time, say): the photo ends `failed` as an undecodable one
   * does, so it does not stay processing for ever. Its blobs are removed as far as storage lets.
   */
  @CreateRequestContext()
  async giveUp(photoId: string): Promise<void> {
    const photo = await this.em.findOne(Photo, { id: photoId });
    if (photo?.status === 'processing') await this.fail(photo, GAVE_UP);
  }

  private async processFile(photo: Photo, original: string): Promise<void> {
    const keys = photoKeys(photo);
    let renditions;
    try {
      renditions = await this.images.renditions(original, this.config.uploads.maxPixels);
    } catch (error) {
      if (!(error instanceof ImageRejectedError)) throw error;
      return this.fail(photo, error.message);
    }
    const takenAt = await this.images.takenAt(original);
    await Promise.all([
      this.storage.put(keys.thumbnail, Readable.from([renditions.thumbnail]), { contentType: 'image/webp' }),
      this.storage.put(keys.preview, Readable.from([renditions.preview]), { contentType: 'image/webp' }),
    ]);
    if (await this.rows.markReady(photo, takenAt)) return;
    // Made ready by another run (its renditions are these), or deleted meanwhile: then these are orphans.
    if (!(await this.em.fork().findOne(Photo, { id: photo.id }, { fields: ['id'] }))) await this.removeBlobs(photo);
  }

  /** Copies the original from storage into `path`; false when the photo was deleted meanwhile (its blob is gone). */
  private async copyOriginal(photo: Photo, path: string): Promise<boolean> {
    try {
      await mkdir(this.workDir, { recursive: true, mode: PRIVATE_DIR_MODE });
      await writeNewPrivateFile(path, (await this.storage.get(photoKeys(photo).original)).stream, []);
      return true;
    } catch (error) {
      if (error instanceof BlobNotFoundError && !(await this.em.fork().findOne(Photo, { id: photo.id }, { fields: ['id'] }))) return false;
      throw error;
    }
  }

  private async fail(photo: Photo, why: string): Promise<void> {
    const reason = why.charAt(0).toUpperCase() + why.slice(1);
    await this.rows.markFailed(photo, reason);
    this.logger.warn({ msg: 'Photo could not be processed', photoId: photo.id, reason });
    await this.removeBlobs(photo);
  }

  private async removeBlobs(photo: Photo): Promise<void> {
    for (const key of Object.values(photoKeys(photo))) await this.storage.delete(key);
  }
}
