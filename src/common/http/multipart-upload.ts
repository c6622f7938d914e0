import { createParamDecorator, ExecutionContext, Inject, Injectable, PipeTransform } from '@nestjs/common';
import type { Request } from 'express';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { csrfCheckedInMultipart } from '../csrf/csrf.guard';
import { CsrfTokens } from '../csrf/csrf-tokens';
import { MultipartFiles, multipartFiles } from './multipart-files';

export interface MultipartUploadOptions {
  /** The form field whose files the handler gets; files of other fields are discarded unread. */
  field: string;
}

/**
 * The files of a multipart upload, as a handler parameter — the one way for a route to take a multipart body:
 *
 *   @Post('upload-photos')
 *   upload(@MultipartUpload({ field: 'photos' }) files: MultipartFiles) { … }
 *
 * Declaring it does both halves of the CSRF check, so neither can be forgotten: the CsrfGuard lets this route's
 * multipart requests through without a token in the header (a plain form's `_csrf` field is still in the unread body),
 * and the reader the handler gets refuses (403) any file that comes before a good `_csrf` field, unless the header
 * carried a good token. Limits (MAX_UPLOAD_FILES, MAX_UPLOAD_MB, UPLOAD_IDLE_SECONDS) come from AppConfig.uploads.
 * A request that is not multipart is refused (400). Read the files before answering: the route accepts what it
 * receives only through them.
 */
export function MultipartUpload(options: MultipartUploadOptions): ParameterDecorator {
  return (target, method, index) => {
    csrfCheckedInMultipart((target as Record<string | symbol, object>)[method!]);
    uploadRequest(options, MultipartUploadReader)(target, method, index);
  };
}

interface UploadRequest {
  req: Request;
  options: MultipartUploadOptions;
}

const uploadRequest = createParamDecorator((options: MultipartUploadOptions, context: ExecutionContext): UploadRequest => ({
  req: context.switchToHttp().getRequest<Request>(),
  options,
}));

/** Turns the declared upload into its reader, with this request's CSRF token and the app's limits. */
@Injectable()
export class MultipartUploadReader implements PipeTransform<UploadRequest, MultipartFiles> {
  constructor(
    private readonly tokens: CsrfTokens,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  transform({ req, options }: UploadRequest): MultipartFiles {
    const { maxFiles, maxFileBytes, idleMs } = this.config.uploads;
    return multipartFiles(req, {
      field: options.field,
      maxFiles,
      maxFileBytes,
      idleMs,
      acceptsCsrfToken: (token) => this.tokens.accepts(req, token),
    });
  }
}
