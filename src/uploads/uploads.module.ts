import { Module } from '@nestjs/common';
import { PhotosModule } from '../photos/photos.module';
import { UsersModule } from '../users/users.module';
import { FinishedUploads } from './finished-uploads';
import { partialStoreProvider } from './partial-store.provider';
import { PartialUploads } from './partial-uploads';
import { TusEndpoint } from './tus-endpoint';
import { UploadsController } from './uploads.controller';

/** Resumable uploads (tus 1.0) at /uploads: partial uploads, their expiry, and their hand-over to the photo intake. */
@Module({
  imports: [UsersModule, PhotosModule],
  controllers: [UploadsController],
  providers: [partialStoreProvider, PartialUploads, FinishedUploads, TusEndpoint],
  exports: [PartialUploads],
})
export class UploadsModule {}
