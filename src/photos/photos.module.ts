import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Inject, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ImageProcessor } from './image-processor';
import { Photo } from './photo.entity';
import { PhotoUploadService } from './photo-upload.service';
import { PhotosController } from './photos.controller';
import { PhotosService } from './photos.service';
import { StorageCheckService } from './storage-check.service';
import { StorageQuota } from './storage-quota.service';

@Module({
  imports: [MikroOrmModule.forFeature([Photo])],
  controllers: [PhotosController],
  providers: [PhotosService, PhotoUploadService, ImageProcessor, StorageCheckService, StorageQuota],
  exports: [PhotosService, StorageCheckService, StorageQuota],
})
export class PhotosModule implements OnApplicationBootstrap {
  constructor(
    private readonly storageCheck: StorageCheckService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The start-up storage check runs in the background: the app serves requests meanwhile. */
  onApplicationBootstrap(): void {
    if (!this.config.storageCheckOnStart) return;
    this.storageCheck.run().catch((error) => new Logger('StorageCheck').error({ msg: 'Storage check failed', error: String(error) }));
  }
}
