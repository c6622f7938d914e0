import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { messageOf, statusOf } from '../common/http/html-exception.filter';
import { LoginRequiredException } from '../common/http/login-required.exception';
import { RetryLaterException } from '../common/http/retry-later.exception';
import { TUS_RESUMABLE } from './tus-endpoint';

/**
 * Refusals on the tus endpoint as a tus client reads them: the status, Tus-Resumable, and the sentence as a short
 * plain-text body — never a page or a redirect. Without a login that is a 401 ("Please log in to continue."), which the
 * upload panel answers with its login form.
 */
@Catch()
export class TusExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent || res.destroyed) return;
    const status = exception instanceof LoginRequiredException ? HttpStatus.UNAUTHORIZED : statusOf(exception);
    const message = messageOf(exception, status);
    if (status >= 500) this.logger.warn({ msg: 'Request refused', reqId: req.id, status, reason: message, error: String(exception) });
    if (exception instanceof RetryLaterException) res.set('Retry-After', String(exception.retryAfterSeconds));
    res
      .status(status)
      .set({ 'Tus-Resumable': TUS_RESUMABLE, 'Cache-Control': 'no-store' })
      .type('text/plain; charset=utf-8')
      .send(`${message}\n`);
  }
}
