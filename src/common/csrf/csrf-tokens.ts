import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { isLoggedIn } from '../../sessions/logged-in';
import { siteCookie, SiteCookie } from '../../sessions/session-cookie';
import { csrfTokenOf, matchesCsrfToken, newCsrfToken } from './csrf-token';

/**
 * Which CSRF token a request's forms carry, and whether a submitted one is right.
 *
 * - A logged-in user's token is bound to their session (synchronizer token): a new one with every new session, so
 *   the token of the login page dies at login.
 * - A visitor without a login gets a stateless one (OWASP "Signed Double-Submit Cookie"), so that no session is
 *   stored for a page view or a form: a random value kept in a cookie signed (HMAC-SHA256) with the session secret,
 *   which the page renders into its forms. A form is accepted when it carries the value of the request's own cookie
 *   and the cookie's signature holds; an attacker can neither read the cookie nor forge one.
 */
@Injectable()
export class CsrfTokens {
  private readonly cookie: SiteCookie;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.cookie = siteCookie(config, 'photosphere-csrf');
  }

  /** The token for the page being rendered; a visitor's first page sets the cookie behind it. */
  tokenFor(req: Request, res: Response): string {
    if (isLoggedIn(req)) return csrfTokenOf(req.session);
    const existing = this.visitorToken(req);
    if (existing) return existing;
    const token = newCsrfToken();
    res.cookie(this.cookie.name, token, { ...this.cookie.options, signed: true });
    req.signedCookies[this.cookie.name] = token; // the same token for the rest of this page
    return token;
  }

  accepts(req: Request, candidate: unknown): boolean {
    return matchesCsrfToken(isLoggedIn(req) ? req.session.csrfToken : this.visitorToken(req), candidate);
  }

  private visitorToken(req: Request): string | undefined {
    const value: unknown = req.signedCookies?.[this.cookie.name];
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  }
}
