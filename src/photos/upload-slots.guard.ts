import { CanActivate, ExecutionContext, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RetryLaterException } from '../common/http/retry-later.exception';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/** How long a refused client is asked to wait before it tries again. */
export const UPLOAD_RETRY_AFTER_SECONDS = 5;
export const UPLOADS_BUSY = 'Too many uploads are in progress right now. Please try again in a few seconds.';
export const ownUploadsBusy = (limit: number) =>
  `You already have ${limit === 1 ? 'an upload' : `${limit} uploads`} in progress. Please try again when ${limit === 1 ? 'it has' : 'one of them has'} finished.`;

/**
 * The instance's count of upload requests in flight, in total and per account: one provider, so every route that
 * receives file bytes (the multipart form, a resumable upload's PATCH) draws from the same slots.
 */
@Injectable()
export class UploadSlots {
  private inUse = 0;
  private readonly inUseByAccount = new Map<string, number>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Takes a slot for the account, or refuses: 429 when the account is at its own limit, 503 when the instance is full. */
  take(accountId: string): void {
    const { maxConcurrent, maxConcurrentPerAccount } = this.config.uploads;
    const own = this.inUseByAccount.get(accountId) ?? 0;
    if (own >= maxConcurrentPerAccount) {
      throw new RetryLaterException(ownUploadsBusy(maxConcurrentPerAccount), HttpStatus.TOO_MANY_REQUESTS, UPLOAD_RETRY_AFTER_SECONDS);
    }
    if (this.inUse >= maxConcurrent)
      throw new RetryLaterException(UPLOADS_BUSY, HttpStatus.SERVICE_UNAVAILABLE, UPLOAD_RETRY_AFTER_SECONDS);
    this.inUse += 1;
    this.inUseByAccount.set(accountId, own + 1);
  }

  release(accountId: string): void {
    this.inUse -= 1;
    const left = this.inUseByAccount.get(accountId)! - 1;
    if (left === 0) this.inUseByAccount.delete(accountId);
    else this.inUseByAccount.set(accountId, left);
  }
}

/**
 * At most MAX_CONCURRENT_UPLOADS upload requests run at once in this instance, and at most
 * MAX_CONCURRENT_UPLOADS_PER_ACCOUNT of them for one account, so one person cannot hold every slot. The next one is
 * refused with Retry-After before a byte of its body is read — 429 when the account is at its own limit, 503 when the
 * instance is full — so a burst of uploads waits instead of exhausting memory and CPU. A slot is held until the
 * response is finished or the connection closes.
 */
@Injectable()
export class UploadSlotsGuard implements CanActivate {
  constructor(private readonly slots: UploadSlots) {}

  canActivate(context: ExecutionContext): boolean {
    const accountId = context.switchToHttp().getRequest<Request>().user!.id;
    // Answered at once; Node discards the unread body as it arrives (nothing is parsed or spooled), and a client that
    // reads the early answer stops sending. Closing the connection instead could reset it before the answer is read.
    this.slots.take(accountId);
    context
      .switchToHttp()
      .getResponse<Response>()
      .once('close', () => this.slots.release(accountId));
    return true;
  }
}
