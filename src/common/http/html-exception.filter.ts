import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { isHtmx, wantsFragment } from '../htmx/htmx';
import { DATABASE_UNAVAILABLE, isDatabaseUnavailable } from '../../database/database-unavailable';
import { LoginRequiredException } from './login-required.exception';
import { RetryLaterException } from './retry-later.exception';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  403: 'Not allowed',
  404: 'Page not found',
  405: 'Not allowed',
  408: 'Took too long',
  413: 'Too large',
  415: 'Not readable',
  429: 'Too many requests',
  500: 'Something went wrong',
  503: 'Temporarily unavailable',
};

const DEFAULT_MESSAGES: Record<number, string> = {
  404: 'We could not find that page. It may have been moved or deleted.',
  413: 'That request is too large.',
  415: 'This form was sent in a format Photosphere does not read. Reload the page and try again.',
  500: 'Something went wrong on our side. Please try again in a moment.',
};

/**
 * Every error becomes a page in the layout (or, for htmx, a toast swapped into #toasts). Users see a short message;
 * stack traces, SQL and paths stay in the server log. Requests without a login go to /login instead.
 */
@Catch()
export class HtmlExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    // The client closed the connection (an upload cancelled mid-way): nobody to answer, and the request log says so.
    if (res.headersSent || res.destroyed) return;

    if (exception instanceof LoginRequiredException) return this.sendToLogin(req, res);

    const status = statusOf(exception);
    const message = messageOf(exception, status);
    if (exception instanceof HttpException && status >= 500) {
      // Our own refusals (uploads busy, storage down) are expected under load: what happened, without a stack.
      this.logger.warn({ msg: 'Request refused', reqId: req.id, status, reason: message });
    } else if (status >= 500) {
      this.logger.error({ msg: 'Unhandled error', reqId: req.id, error: String(exception), stack: (exception as Error)?.stack });
    }
    if (exception instanceof RetryLaterException) res.set('Retry-After', String(exception.retryAfterSeconds));
    const title = TITLES[status] ?? 'Error';
    if (wantsFragment(req)) {
      res.status(status).set({ 'HX-Retarget': '#toasts', 'HX-Reswap': 'beforeend' });
      return res.render('partials/toast', { layout: false, type: 'danger', message });
    }
    res.status(status).render('pages/errors/error', { title, status, message });
  }

  private sendToLogin(req: Request, res: Response): void {
    const next = req.method === 'GET' ? req.originalUrl : undefined;
    const login = next && next !== '/' ? `/login?next=${encodeURIComponent(next)}` : '/login';
    if (isHtmx(req)) {
      res.status(HttpStatus.UNAUTHORIZED).set('HX-Redirect', login).end();
      return;
    }
    // An image (or script…) the browser was still loading when the session ended: a plain 401. Redirecting it to
    // the login page would render that page, start a new session, and replace the cookie of the tab's real login form.
    const destination = req.get('Sec-Fetch-Dest');
    if (destination && destination !== 'document') {
      res.status(HttpStatus.UNAUTHORIZED).end();
      return;
    }
    res.redirect(302, login);
  }
}

export function statusOf(exception: unknown): number {
  if (exception instanceof HttpException) return exception.getStatus();
  if (isDatabaseUnavailable(exception)) return HttpStatus.SERVICE_UNAVAILABLE;
  // Errors raised by Express middleware (body parser limits, malformed bodies) carry their own 4xx status.
  const status = (exception as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) return status;
  return HttpStatus.INTERNAL_SERVER_ERROR;
}

export function messageOf(exception: unknown, status: number): string {
  if (isDatabaseUnavailable(exception)) return DATABASE_UNAVAILABLE;
  // Our own HttpExceptions carry messages written for people (503 included); an unexpected 500 never shows its own.
  if (exception instanceof HttpException && status !== HttpStatus.INTERNAL_SERVER_ERROR) {
    const response = exception.getResponse();
    const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
    if (typeof message === 'string' && !isNestDefault(message)) return message;
  }
  return DEFAULT_MESSAGES[status] ?? TITLES[status] ?? 'The request could not be completed.';
}

/** Nest's built-in messages ("Cannot GET /x", "Not Found") repeat what the page says already, or leak the path. */
function isNestDefault(message: string): boolean {
  return (
    /^Cannot [A-Z]+ /.test(message) ||
    Object.values(TITLES).some((t) => t.toLowerCase() === message.toLowerCase()) ||
    ['Not Found', 'Forbidden', 'Bad Request', 'Payload Too Large', 'Internal Server Error'].includes(message)
  );
}
