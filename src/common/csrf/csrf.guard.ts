import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { CsrfTokens } from './csrf-tokens';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const CSRF_HEADER = 'X-CSRF-Token';
export const CSRF_FIELD = '_csrf';

export const CSRF_REFUSED = 'This form has expired or did not come from Photosphere. Reload the page and try again.';
export const CROSS_SITE_REFUSED = 'Requests from other sites are not allowed.';

const CSRF_IN_MULTIPART = 'csrfInMultipart';
/**
 * For upload routes, and called only by `@MultipartUpload(…)`, which also hands the handler the reader that does the
 * check: a multipart body is not parsed before the handler runs, so a plain form's `_csrf` field is checked by the
 * multipart reader, before it accepts any file (htmx sends the header, checked here as usual).
 */
export function csrfCheckedInMultipart(handler: object): void {
  Reflect.defineMetadata(CSRF_IN_MULTIPART, true, handler);
}

/**
 * Every state-changing request must carry its CSRF token (see CsrfTokens: the session's for a logged-in user, the
 * visitor cookie's otherwise), in the `X-CSRF-Token` header (htmx) or the `_csrf` form field, and must not come from
 * another site (Origin / Sec-Fetch-Site). Runs before any body is consumed by upload handlers, since guards run
 * before interceptors.
 */
@Injectable()
export class CsrfGuard implements CanActivate {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reflector: Reflector,
    private readonly tokens: CsrfTokens,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (SAFE_METHODS.has(req.method)) return true;
    if (this.isCrossSite(req)) throw new ForbiddenException(CROSS_SITE_REFUSED);
    const candidates = [req.get(CSRF_HEADER), (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD]];
    if (candidates.some((candidate) => this.tokens.accepts(req, candidate))) return true;
    if (req.is('multipart/form-data') && this.reflector.get<boolean>(CSRF_IN_MULTIPART, context.getHandler())) return true;
    throw new ForbiddenException(CSRF_REFUSED);
  }

  private isCrossSite(req: Request): boolean {
    if (req.get('Sec-Fetch-Site') === 'cross-site') return true;
    const origin = req.get('Origin');
    // Browsers send "Origin: null" under our Referrer-Policy: no-referrer; Sec-Fetch-Site and the token decide then.
    if (origin === undefined || origin === 'null') return false;
    const allowed = [new URL(this.config.baseUrl).origin, `${req.protocol}://${req.get('Host')}`];
    return !allowed.includes(origin);
  }
}
