import { Controller, Get, HttpStatus, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { toSessionUser } from '../auth/auth.service';
import { flash } from '../common/flash/flash';
import { clearBrowserCache } from '../common/http/browser-cache';
import { field } from '../common/http/form-fields';
import { HOUR, RateLimit } from '../common/throttle/rate-limit.decorator';
import { StorageQuota } from '../photos/storage-quota.service';
import { endSession, renewLoggedInSession } from '../sessions/session-lifecycle';
import { LastAdminError } from '../users/last-admin';
import { AccountService, WRONG_CURRENT_PASSWORD } from './account.service';

export const PROFILE_SAVED = 'Your account details were saved. We told your old email address about the change.';
export const PASSWORD_CHANGED = 'Your password was changed. Every other device has been signed out.';
export const SIGNED_OUT_EVERYWHERE = 'You have been signed out on every device.';
export const ACCOUNT_DELETED = 'Your account and all your photos have been deleted.';

/** Each form that checks the current password allows this many posts per hour and address (no guessing it). */
const PASSWORD_CHECKS_PER_HOUR = 20;

/** /account: the logged-in user's own details, password, sessions and deletion. */
@Controller('account')
export class AccountController {
  constructor(
    private readonly accounts: AccountService,
    private readonly quota: StorageQuota,
  ) {}

  @Get()
  async page(@Req() req: Request, @Res() res: Response) {
    res.render('pages/account/account', await this.model(req, {}));
  }

  @Post('profile')
  @RateLimit(PASSWORD_CHECKS_PER_HOUR, HOUR)
  async profile(@Req() req: Request, @Res() res: Response) {
    const result = await this.accounts.updateProfile(req.user!.id, req.body);
    if (!result.ok) {
      const status = result.wrongPassword ? HttpStatus.FORBIDDEN : HttpStatus.UNPROCESSABLE_ENTITY;
      return res.status(status).render('pages/account/account', await this.model(req, { profile: { values: result.values, errors: result.errors } }));
    }
    flash(req, 'success', PROFILE_SAVED);
    res.redirect(303, '/account');
  }

  /** Every session ends; this one continues under a new id, so only the other devices are signed out. */
  @Post('password')
  @RateLimit(PASSWORD_CHECKS_PER_HOUR, HOUR)
  async password(@Req() req: Request, @Res() res: Response) {
    const result = await this.accounts.changePassword(req.user!.id, req.body);
    if (!result.ok) {
      const status = result.wrongPassword ? HttpStatus.FORBIDDEN : HttpStatus.UNPROCESSABLE_ENTITY;
      return res.status(status).render('pages/account/account', await this.model(req, { password: { errors: result.errors } }));
    }
    await renewLoggedInSession(req, toSessionUser(await this.accounts.account(req.user!.id)));
    flash(req, 'success', PASSWORD_CHANGED);
    res.redirect(303, '/account');
  }

  @Post('sign-out-everywhere')
  async signOutEverywhere(@Req() req: Request, @Res() res: Response) {
    await this.accounts.signOutEverywhere(req.user!.id);
    await this.startAfresh(req, res, SIGNED_OUT_EVERYWHERE);
    res.redirect(303, '/login');
  }

  @Post('delete')
  @RateLimit(PASSWORD_CHECKS_PER_HOUR, HOUR)
  async delete(@Req() req: Request, @Res() res: Response) {
    try {
      if (!(await this.accounts.delete(req.user!.id, field(req.body, 'currentPassword')))) {
        return res.status(HttpStatus.FORBIDDEN).render('pages/account/account', await this.model(req, { deletion: { errors: { currentPassword: [WRONG_CURRENT_PASSWORD] } } }));
      }
    } catch (error) {
      if (!(error instanceof LastAdminError)) throw error;
      return res.status(HttpStatus.CONFLICT).render('pages/account/account', await this.model(req, { deletion: { errors: { currentPassword: [error.message] } } }));
    }
    await this.startAfresh(req, res, ACCOUNT_DELETED);
    res.redirect(303, '/login');
  }

  /** Logged out here too: the session ends, a message for the login page, and the browser's cache is cleared. */
  private async startAfresh(req: Request, res: Response, message: string) {
    await endSession(req);
    flash(req, 'success', message);
    clearBrowserCache(res);
  }

  private async model(req: Request, forms: Record<string, unknown>) {
    const user = await this.accounts.account(req.user!.id);
    return {
      title: 'My account',
      profile: { values: { username: user.username, email: user.email }, errors: {} },
      password: { errors: {} },
      deletion: { errors: {} },
      ...forms,
      storage: await this.quota.usageView(user.id),
      username: user.username,
    };
  }
}
