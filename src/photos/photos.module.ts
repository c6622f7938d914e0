import { Inject, Logger, Module, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { rm } from 'node:fs/promises';
import { Clock, CLOCK } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { JobsModule } from '../jobs/jobs.module';
import { RecurringJobs } from '../jobs/recurring-jobs';
import { BLOB_STORAGE, BlobStorage } from '../storage/blob-storage.port';
import { ImageProcessor } from './image-processor';
import { PhotoUploadService } from './photo-upload.service';
import { PhotosController } from './photos.controller';
import { PhotosService } from './photos.service';
import { StorageCheckService } from './storage-check.service';
import { UsersModule } from '../users/users.module';
import { PhotoRows } from './photo-rows';
import { UploadSlots } from './upload-slots.guard';
import { spoolDirOf } from './upload-spool';

@Module({
  imports: [UsersModule, JobsModule],
  controllers: [PhotosController],
  providers: [PhotosService, PhotoUploadService, ImageProcessor, StorageCheckService, PhotoRows, UploadSlots],
  exports: [PhotosService, StorageCheckService, PhotoUploadService, UploadSlots],
})
export class PhotosModule implements OnModuleInit, OnApplicationBootstrap {
  constructor(
    private readonly storageCheck: StorageCheckService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
    private readonly adapterHost: HttpAdapterHost,
    private readonly recurring: RecurringJobs,
  ) {}

  /** Every STORAGE_CHECK_HOURS, on one instance: the storage check in report-only mode (it logs, it removes nothing). */
  onModuleInit(): void {
    if (this.config.storageCheckIntervalMs === 0) return;
    this.recurring.every('storage-check', this.config.storageCheckIntervalMs, async () => {
      await this.storageCheck.run({ reportOnly: true });
    });
  }

  /**
   * Start-up clean-up after a crash: this instance's temporary files — its uploads being received, and (local disk) its
   * blobs being written — go first, always (before any request is served, so none is in use); then, unless
   * STORAGE_CHECK_ON_START is off, the storage check runs in the background while the app serves requests.
   * `npm run cli` builds the modules without an HTTP server: that is not the instance starting, and the running
   * instance's files may be in use, so it does neither.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.adapterHost.httpAdapter) return;
    await rm(spoolDirOf(this.config), { recursive: true, force: true });
    await this.storage.removeUnfinished();
    if (!this.config.storageCheckOnStart) return;
    const restarted = { instanceId: this.config.instanceId, startedAt: this.clock.now() };
    this.storageCheck
      .run({ restarted })
      .catch((error) => new Logger('StorageCheck').error({ msg: 'Storage check failed', error: String(error) }));
  }
}
