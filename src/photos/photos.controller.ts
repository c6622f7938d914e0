import { Controller, Get, HttpStatus, Inject, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { flashAndRedirect } from '../common/flash/flash-and-redirect';
import { wantsFragment } from '../common/htmx/htmx';
import { renderPageOrFragment } from '../common/htmx/page-or-fragment';
import { CurrentUser } from '../common/http/current-user.decorator';
import type { MultipartFiles } from '../common/http/multipart-files';
import { MultipartUpload } from '../common/http/multipart-upload';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { imageEtag, sendImage } from './image-response';
import { ACCEPTED_IMAGE_MEDIA_TYPES, ACCEPTED_IMAGE_NAMES } from './image-types';
import { Rendition } from './photo-keys';
import { PhotoUploadService } from './photo-upload.service';
import { photoCard, photoDetails, processingPoll } from './photo.view';
import { PhotosService } from './photos.service';
import { StorageQuota } from '../users/storage-quota';
import { storageUsageView } from '../users/storage-usage.view';
import { UploadSlotsGuard } from './upload-slots.guard';
import { describeUpload } from './upload-summary';

const RENDITION_TYPES: Record<Exclude<Rendition, 'original'>, string> = { thumbnail: 'image/webp', preview: 'image/webp' };

/** The gallery, uploads, one photo's page, image delivery and delete — for the logged-in owner only. */
@Controller()
export class PhotosController {
  constructor(
    private readonly photos: PhotosService,
    private readonly uploads: PhotoUploadService,
    private readonly quota: StorageQuota,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The gallery page, or (for htmx infinite scroll) just the next page of cards. */
  @Get()
  async gallery(@Req() req: Request, @Res() res: Response, @CurrentUser() user: Express.User, @Query('before') before: unknown) {
    const page = await this.photos.gallery(user.id, before);
    // A processing card on an older page (loaded by infinite scroll) restarts the grid's poller, which may have stopped.
    const model = {
      photos: page.photos.map(photoCard),
      next: page.next,
      poll: processingPoll(page.photos.some((photo) => photo.status === 'processing')),
    };
    await renderPageOrFragment(req, res, { page: 'pages/photos/gallery', fragment: 'partials/photos/grid-page' }, model, async () => ({
      storage: storageUsageView(await this.quota.usage(user.id)),
      title: 'Your photos',
      olderPage: model.photos.length > 0 && before !== undefined,
      empty: page.photos.length === 0 && before === undefined,
      acceptedTypes: ACCEPTED_IMAGE_MEDIA_TYPES,
      acceptedNames: ACCEPTED_IMAGE_NAMES,
      maxUploadMb: Math.round(this.config.uploads.maxFileBytes / 1024 / 1024),
      maxFiles: this.config.uploads.maxFiles,
    }));
  }

  /**
   * The grid's poller: the cards (given as `id`) that are no longer processing, swapped in out of band, and the poller
   * again with a longer delay while some still are. Without JavaScript, reloading the gallery shows the same.
   */
  @Get('processing-photos')
  async processing(@Res() res: Response, @CurrentUser() user: Express.User, @Query('id') id: unknown, @Query('after') after: unknown) {
    const ids = (Array.isArray(id) ? id : [id]).filter((value): value is string => typeof value === 'string');
    const { done, stillProcessing } = await this.photos.doneProcessing(user.id, ids);
    res.render('partials/photos/processing-done', {
      layout: false,
      photos: done.map(photoCard),
      poll: processingPoll(stillProcessing > 0, Number(after) || undefined),
    });
  }

  @Post('upload-photos')
  @UseGuards(UploadSlotsGuard)
  async upload(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentUser() user: Express.User,
    @MultipartUpload({ field: 'photos' }) files: MultipartFiles,
  ) {
    const summary = await this.uploads.upload(user.id, files, abortedWith(res));
    const outcome = describeUpload(summary);
    if (!wantsFragment(req)) return flashAndRedirect(req, res, outcome.type, outcome.message, '/');
    const status = summary.storageUnavailable
      ? HttpStatus.SERVICE_UNAVAILABLE
      : summary.uploaded.length
        ? HttpStatus.OK
        : HttpStatus.UNPROCESSABLE_ENTITY;
    if (status !== HttpStatus.OK) res.set('HX-Reswap', 'none');
    res.status(status).render('partials/photos/upload-result', {
      layout: false,
      photos: summary.uploaded.map(photoCard),
      poll: processingPoll(summary.uploaded.length > 0),
      storage: storageUsageView(await this.quota.usage(user.id)),
      toasts: [outcome],
    });
  }

  @Get('photos/:id')
  async show(@Res() res: Response, @CurrentUser() user: Express.User, @Param('id') id: string) {
    const photo = await this.photos.findOwned(user.id, id);
    res.render('pages/photos/show', { title: photo.displayName, photo: photoDetails(photo) });
  }

  /**
   * One photo's card, for the upload panel to put at the top of the grid once the photo is uploaded; a processing one
   * (re)starts the grid's poller, which turns it into its thumbnail.
   */
  @Get('photos/:id/card')
  async card(@Res() res: Response, @CurrentUser() user: Express.User, @Param('id') id: string) {
    const photo = await this.photos.findShown(user.id, id);
    res.render('partials/photos/uploaded-card', {
      layout: false,
      photo: photoCard(photo),
      poll: processingPoll(photo.status === 'processing'),
      storage: storageUsageView(await this.quota.usage(user.id)),
    });
  }

  /** Without JavaScript, the delete button leads here: a page that asks before deleting. */
  @Get('photos/:id/delete')
  async confirmDelete(@Res() res: Response, @CurrentUser() user: Express.User, @Param('id') id: string) {
    const photo = await this.photos.findShown(user.id, id);
    res.render('pages/photos/confirm-delete', { title: `Delete ${photo.displayName}?`, photo: photoCard(photo) });
  }

  @Post('delete-photo/:id')
  async delete(@Req() req: Request, @Res() res: Response, @CurrentUser() user: Express.User, @Param('id') id: string) {
    const photo = await this.photos.delete(user.id, id);
    const message = `Deleted ${photo.displayName}.`;
    if (!wantsFragment(req)) return flashAndRedirect(req, res, 'success', message, '/');
    res.status(HttpStatus.OK).render('partials/photos/deleted', {
      layout: false,
      storage: storageUsageView(await this.quota.usage(user.id)),
      toasts: [{ type: 'success', message }],
    });
  }

  @Get('photos/:id/original')
  async original(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentUser() user: Express.User,
    @Param('id') id: string,
    @Query('download') download: unknown,
  ) {
    const photo = await this.photos.findOwned(user.id, id);
    const image = {
      contentType: photo.contentType,
      etag: imageEtag(photo, 'original'),
      downloadOf: download !== undefined ? photo : undefined,
    };
    await sendImage(req, res, image, () => this.photos.blob(photo, 'original'));
  }

  @Get('photos/:id/thumbnail')
  thumbnail(@Req() req: Request, @Res() res: Response, @CurrentUser() user: Express.User, @Param('id') id: string) {
    return this.rendition(req, res, user, id, 'thumbnail');
  }

  @Get('photos/:id/preview')
  preview(@Req() req: Request, @Res() res: Response, @CurrentUser() user: Express.User, @Param('id') id: string) {
    return this.rendition(req, res, user, id, 'preview');
  }

  private async rendition(req: Request, res: Response, user: Express.User, id: string, rendition: 'thumbnail' | 'preview') {
    const photo = await this.photos.findOwned(user.id, id);
    const image = { contentType: RENDITION_TYPES[rendition], etag: imageEtag(photo, rendition) };
    await sendImage(req, res, image, () => this.photos.blob(photo, rendition));
  }
}

/** Aborted when the client disconnects before the response is sent, so storage stops receiving bytes at once. */
function abortedWith(res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
