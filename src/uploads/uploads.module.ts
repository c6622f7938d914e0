import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { PhotosModule } from '../photos/photos.module';
import { UsersModule } from '../users/users.module';
import { ExpiredUploads } from './expired-uploads';
import { FinishedUploads } from './finished-uploads';
import { partialStoreProvider } from './partial-store.provider';
import { PartialUploads } from './partial-uploads';
import { TusEndpoint } from './tus-endpoint';
import { UploadsController } from './uploads.controller';

/** Resumable uploads (tus 1.0) at /uploads: partial uploads, their hourly expiry, and their hand-over to the photo intake. */
@Module({
  imports: [UsersModule, PhotosModule, JobsModule],
  controllers: [UploadsController],
  providers: [partialStoreProvider, PartialUploads, FinishedUploads, TusEndpoint, ExpiredUploads],
  exports: [PartialUploads],
})
export class UploadsModule {}
