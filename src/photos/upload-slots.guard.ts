import { CanActivate, ExecutionContext, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { RetryLaterException } from '../common/http/retry-later.exception';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/** How long a refused client is asked to wait before it tries again. */
export const UPLOAD_RETRY_AFTER_SECONDS = 5;
export const UPLOADS_BUSY = 'Too many uploads are in progress right now. Please try again in a few seconds.';

/**
 * At most MAX_CONCURRENT_UPLOADS upload requests run at once in this instance; the next one is answered 503 with
 * Retry-After before a byte of its body is read, so a burst of uploads waits instead of exhausting memory and CPU.
 * A slot is held until the response is finished or the connection closes.
 */
@Injectable()
export class UploadSlotsGuard implements CanActivate {
  private inUse = 0;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.inUse >= this.config.uploads.maxConcurrent) {
      // Answered at once; Node discards the unread body as it arrives (nothing is parsed or spooled), and a client that
      // reads the early answer stops sending. Closing the connection instead could reset it before the answer is read.
      throw new RetryLaterException(UPLOADS_BUSY, HttpStatus.SERVICE_UNAVAILABLE, UPLOAD_RETRY_AFTER_SECONDS);
    }
    this.inUse += 1;
    context.switchToHttp().getResponse<Response>().once('close', () => (this.inUse -= 1));
    return true;
  }
}
