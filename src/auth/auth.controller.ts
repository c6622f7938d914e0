import { Controller, Get, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { promisify } from 'node:util';
import { flashAndRedirect } from '../common/flash/flash-and-redirect';
import { clearBrowserCache } from '../common/http/browser-cache';
import { Public } from '../common/http/public.decorator';
import { MINUTE, RateLimit } from '../common/throttle/rate-limit.decorator';
import { localPath } from '../common/http/safe-redirect';
import { Clock, CLOCK } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { CROSS_SITE_REFUSED } from '../common/csrf/csrf.guard';
import { CsrfTokens } from '../common/csrf/csrf-tokens';
import { SESSION_COOKIE, SessionCookie } from '../sessions/session-cookie';
import { isLoggedIn } from '../sessions/logged-in';
import { rememberSession } from '../sessions/session-lifecycle';
import { LoginGuard } from './login.guard';
import { field } from '../common/http/form-fields';

export const LOGIN_FAILED = 'Invalid email/username or password.';
export const WELCOME_BACK = 'Welcome back!';
export const welcomeNewUser = (username: string) => `Welcome to Photosphere, ${username}!`;
export const LOGGED_OUT = 'You have been logged out.';
/**
 * Sent by a script that logs in again without leaving its page (the upload panel's session modal): no page shows the
 * welcome, so none is queued for the next one to load.
 */
export const STAY_ON_PAGE_HEADER = 'X-Stay-On-Page';
export const LOGIN_DISABLED = 'This account has been disabled. Ask an administrator of this Photosphere to enable it again.';

@Controller()
export class AuthController {
  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SESSION_COOKIE) private readonly sessionCookie: SessionCookie,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly csrfTokens: CsrfTokens,
  ) {}

  @Public()
  @Get('login')
  loginPage(@Req() req: Request, @Res() res: Response, @Query('next') next: unknown, @Query('logged_out') loggedOut: unknown) {
    if (req.user) return res.redirect(303, '/');
    const notice = loggedOut !== undefined ? LOGGED_OUT : undefined;
    res.render('pages/auth/login', { title: 'Log in', next: localPath(next), notice });
  }

  @Public()
  @Post('login')
  @RateLimit(10, MINUTE, LoginGuard)
  login(@Req() req: Request, @Res() res: Response) {
    const next = localPath(field(req.body, 'next'));
    if (!req.user) {
      return res.status(401).render('pages/auth/login', {
        title: 'Log in',
        identifier: field(req.body, 'identifier').slice(0, 254),
        remember: field(req.body, 'remember') !== '',
        next,
        error: req.loginRefusedAsDisabled ? LOGIN_DISABLED : LOGIN_FAILED,
      });
    }
    req.session.authenticatedAt = this.clock.now().getTime();
    if (field(req.body, 'remember') !== '') rememberSession(req, this.config.rememberMeMs);
    if (req.get(STAY_ON_PAGE_HEADER) === '1') return res.redirect(303, next ?? '/');
    flashAndRedirect(req, res, 'success', req.firstLogin ? welcomeNewUser(req.user.username) : WELCOME_BACK, next ?? '/');
  }

  /**
   * The CSRF token this browser's requests must carry now (JSON): the session's when logged in, a visitor's otherwise
   * (setting its cookie). Scripts of this site read it after logging in again without leaving the page (the upload
   * panel); another site cannot: no CORS, its requests are refused, and the JSON is not a script.
   */
  @Public()
  @Get('csrf-token')
  csrfToken(@Req() req: Request, @Res() res: Response) {
    if (['cross-site', 'same-site'].includes(req.get('Sec-Fetch-Site') ?? '')) return res.status(403).json({ error: CROSS_SITE_REFUSED });
    res.set('Cache-Control', 'no-store').json({ token: this.csrfTokens.tokenFor(req, res), loggedIn: isLoggedIn(req) });
  }

  /** Ends the session on the server, clears the cookie and the browser's cache, and says so on the login page. */
  @Post('logout')
  async logout(@Req() req: Request, @Res() res: Response) {
    await promisify(req.logout.bind(req))();
    await promisify(req.session.destroy.bind(req.session))();
    const { maxAge: _, ...attributes } = this.sessionCookie.options;
    res.clearCookie(this.sessionCookie.name, attributes);
    clearBrowserCache(res);
    res.redirect(303, '/login?logged_out');
  }
}
