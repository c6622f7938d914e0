import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PhotoUploadService, UploadRefusedError } from '../photos/photo-upload.service';
import { spool, spoolDirOf } from '../photos/upload-spool';
import { StorageUnavailableError } from '../storage/blob-storage.port';
import { PartialUploads } from './partial-uploads';
import type { PartialStore } from './partial-store';
import { PARTIAL_STORE } from './partial-store.provider';
import { headerSafe } from './refusal-header';

/** What the final PATCH answers besides its Upload-Offset: the new photo's id, or why the file was not stored. */
export type FinishHeaders = { 'Photo-Id': string } | { 'Upload-Refused': string };

/** Thrown (in the shape @tus/server answers with) when the photos' storage is down: 503, the partial is kept. */
export class IntakeUnavailable {
  readonly status_code = 503;
  constructor(readonly body: string) {}
}

/**
 * The last byte of a resumable upload has arrived: the whole file goes through the same spool (hash, size, first
 * bytes) and the same intake as a file of the multipart form. Stored or refused, the partial is removed; when storage
 * is unavailable it is kept, so a retry of the final PATCH (zero bytes at Upload-Offset = Upload-Length) can finish it.
 */
@Injectable()
export class FinishedUploads {
  private readonly logger = new Logger(FinishedUploads.name);
  private readonly spoolDir: string;

  constructor(
    private readonly partials: PartialUploads,
    private readonly intake: PhotoUploadService,
    @Inject(PARTIAL_STORE) private readonly store: PartialStore,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.spoolDir = spoolDirOf(config);
  }

  async finish(id: string): Promise<FinishHeaders> {
    const upload = await this.partials.find(id);
    if (!upload) throw new Error('A finished upload has no record'); // the controller checked it a moment ago
    const spooled = await spool(await this.store.read(id), this.spoolDir);
    let headers: FinishHeaders;
    try {
      const photo = await this.intake.acceptFile(upload.ownerId, upload.filename, spooled);
      headers = { 'Photo-Id': photo.id };
    } catch (error) {
      if (error instanceof UploadRefusedError) headers = { 'Upload-Refused': headerSafe(error.message) };
      else if (error instanceof StorageUnavailableError) {
        this.logger.warn({ msg: 'A finished upload waits for storage', photoStorage: 'unavailable' });
        throw new IntakeUnavailable(`${upload.filename} was not stored: photo storage is unavailable. Please try again in a moment.\n`);
      } else throw error;
    } finally {
      await spooled.remove();
    }
    await this.partials.discard(id);
    return headers;
  }
}
