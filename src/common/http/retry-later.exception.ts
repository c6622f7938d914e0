import { HttpException } from '@nestjs/common';

/** A refusal that passes with time (429, 503): the HTML filter sends the seconds to wait as Retry-After. */
export class RetryLaterException extends HttpException {
  constructor(
    message: string,
    status: number,
    readonly retryAfterSeconds: number,
  ) {
    super(message, status);
  }
}
