import {
  BadRequestException,
  Controller,
  Delete,
  Head,
  HttpStatus,
  Inject,
  NotFoundException,
  Options,
  Param,
  Patch,
  PayloadTooLargeException,
  Post,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentUser } from '../common/http/current-user.decorator';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { UploadSlotsGuard } from '../photos/upload-slots.guard';
import { declaredUpload } from './declared-upload';
import { PartialUploads, UploadNotOpenedError } from './partial-uploads';
import { TUS_RESUMABLE, TusEndpoint } from './tus-endpoint';
import { TusExceptionFilter } from './tus-exception.filter';

export const UPLOAD_NOT_FOUND = 'There is no such upload. It may have finished, been cancelled or expired.';

/**
 * The tus 1.0 endpoint: `POST /uploads` creates, `HEAD` / `PATCH /uploads/<id>` resume and send, `DELETE` cancels.
 * The global guards have checked the login and (POST, PATCH, DELETE) the X-CSRF-Token header; here the declared file
 * is checked before any byte, and an upload is found only for its owner (anyone else gets the same 404 as for none).
 * A PATCH takes an upload slot like the multipart form. TusEndpoint does the protocol.
 */
@Controller('uploads')
@UseFilters(TusExceptionFilter)
export class UploadsController {
  constructor(
    private readonly partials: PartialUploads,
    private readonly tus: TusEndpoint,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Options()
  discover(@Req() req: Request, @Res() res: Response) {
    return this.tus.handle(req, res);
  }

  @Post()
  async create(@Req() req: Request, @Res() res: Response, @CurrentUser() user: Express.User) {
    const id = await this.open(user.id, declaredUpload(req));
    try {
      await this.tus.handle(req, res, id);
    } finally {
      if (res.statusCode !== HttpStatus.CREATED) await this.partials.discard(id);
    }
  }

  @Head(':id')
  async offset(@Req() req: Request, @Res() res: Response, @CurrentUser() user: Express.User, @Param('id') id: string) {
    await this.ownedOr404(user, id);
    await this.tus.handle(req, res);
  }

  /**
   * A client that sends nothing for UPLOAD_IDLE_SECONDS loses its connection, so a stalled PATCH does not hold an upload
   * slot; the bytes that arrived are kept, and the client resumes from the offset HEAD tells.
   */
  @Patch(':id')
  @UseGuards(UploadSlotsGuard)
  async send(@Req() req: Request, @Res() res: Response, @CurrentUser() user: Express.User, @Param('id') id: string) {
    await this.ownedOr404(user, id);
    req.setTimeout(this.config.uploads.idleMs, () => req.destroy());
    await this.tus.handle(req, res);
  }

  @Delete(':id')
  async cancel(@Res() res: Response, @CurrentUser() user: Express.User, @Param('id') id: string) {
    await this.ownedOr404(user, id);
    await this.partials.discard(id);
    res.status(HttpStatus.NO_CONTENT).set('Tus-Resumable', TUS_RESUMABLE).end();
  }

  private async open(ownerId: string, declared: { filename: string; length: number }): Promise<string> {
    try {
      return await this.partials.open(ownerId, declared);
    } catch (error) {
      if (!(error instanceof UploadNotOpenedError)) throw error;
      if (error.reason === 'noName') throw new BadRequestException(error.message);
      throw new PayloadTooLargeException(error.message);
    }
  }

  private async ownedOr404(user: Express.User, id: string): Promise<void> {
    if (!(await this.partials.owned(user.id, id))) throw new NotFoundException(UPLOAD_NOT_FOUND);
  }
}
