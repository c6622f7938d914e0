import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { ImageProcessor } from './image-processor';
import { Photo } from './photo.entity';
import { PhotoUploadService } from './photo-upload.service';
import { PhotosController } from './photos.controller';
import { PhotosService } from './photos.service';

@Module({
  imports: [MikroOrmModule.forFeature([Photo])],
  controllers: [PhotosController],
  providers: [PhotosService, PhotoUploadService, ImageProcessor],
  exports: [PhotosService],
})
export class PhotosModule {}
