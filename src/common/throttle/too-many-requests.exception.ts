import { HttpStatus } from '@nestjs/common';
import { RetryLaterException } from '../http/retry-later.exception';

/** 429 with the seconds to wait; the HTML filter sends them as Retry-After. */
export class TooManyRequestsException extends RetryLaterException {
  constructor(message: string, retryAfterSeconds: number) {
    super(message, HttpStatus.TOO_MANY_REQUESTS, retryAfterSeconds);
  }
}
