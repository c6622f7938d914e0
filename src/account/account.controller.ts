import { Controller, Get, HttpStatus, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { flashAndRedirect } from '../common/flash/flash-and-redirect';
import { CurrentUser, currentUserOf } from '../common/http/current-user.decorator';
import { clearBrowserCache } from '../common/http/browser-cache';
import { field } from '../common/http/form-fields';
import { InvalidInputError } from '../common/invalid-input';
import { HOUR, RateLimit } from '../common/throttle/rate-limit.decorator';
import { endSession, renewLoggedInSession } from '../sessions/session-lifecycle';
import { trimmedProfile } from '../users/account-fields';
import { LastAdminError } from '../users/last-admin';
import { toSessionUser } from '../users/session-user';
import { StorageQuota } from '../users/storage-quota';
import { storageUsageView } from '../users/storage-usage.view';
import { AccountService, WrongCurrentPasswordError } from './account.service';

export const PROFILE_SAVED = 'Your account details were saved. We told your old email address about the change.';
export const PASSWORD_CHANGED = 'Your password was changed. Every other device has been signed out.';
export const SIGNED_OUT_EVERYWHERE = 'You have been signed out on every device.';
export const ACCOUNT_DELETED = 'Your account and all your photos have been deleted.';

/** Each form that checks the current password allows this many posts per hour and address (no guessing it). */
const PASSWORD_CHECKS_PER_HOUR = 20;

type AccountForm = 'profile' | 'password' | 'deletion';

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
  async profile(@Req() req: Request, @Res() res: Response, @CurrentUser() user: Express.User) {
    const change = { username: field(req.body, 'username'), email: field(req.body, 'email') };
    const changed = await this.attempt(
      req,
      res,
      'profile',
      () => this.accounts.updateProfile(user.id, field(req.body, 'currentPassword'), change),
      {
        values: trimmedProfile(change),
      },
    );
    if (changed) flashAndRedirect(req, res, 'success', PROFILE_SAVED, '/account');
  }

  /** Every session ends; this one continues under a new id, so only the other devices are signed out. */
  @Post('password')
  @RateLimit(PASSWORD_CHECKS_PER_HOUR, HOUR)
  async password(@Req() req: Request, @Res() res: Response, @CurrentUser() user: Express.User) {
    const input = { password: field(req.body, 'password'), confirmPassword: field(req.body, 'confirmPassword') };
    if (!(await this.attempt(req, res, 'password', () => this.accounts.changePassword(user.id, field(req.body, 'currentPassword'), input))))
      return;
    await renewLoggedInSession(req, toSessionUser(await this.accounts.account(user.id)));
    flashAndRedirect(req, res, 'success', PASSWORD_CHANGED, '/account');
  }

  @Post('sign-out-everywhere')
  async signOutEverywhere(@Req() req: Request, @Res() res: Response, @CurrentUser() user: Express.User) {
    await this.accounts.signOutEverywhere(user.id);
    await this.startAfresh(req, res, SIGNED_OUT_EVERYWHERE);
  }

  @Post('delete')
  @RateLimit(PASSWORD_CHECKS_PER_HOUR, HOUR)
  async delete(@Req() req: Request, @Res() res: Response, @CurrentUser() user: Express.User) {
    if (!(await this.attempt(req, res, 'deletion', () => this.accounts.delete(user.id, field(req.body, 'currentPassword'))))) return;
    await this.startAfresh(req, res, ACCOUNT_DELETED);
  }

  /**
   * Runs a change that needs the current password. True when it was made; otherwise the page is shown again with the
   * form's errors: 403 for a wrong current password, 422 for fields that must change, 409 for the last active admin's
   * deletion (`shown`: what the form keeps).
   */
  private async attempt(req: Request, res: Response, form: AccountForm, change: () => Promise<void>, shown: Record<string, unknown> = {}) {
    try {
      await change();
      return true;
    } catch (error) {
      await this.refuse(req, res, error, form, shown);
      return false;
    }
  }

  private async refuse(req: Request, res: Response, error: unknown, form: AccountForm, shown: Record<string, unknown> = {}) {
    if (error instanceof WrongCurrentPasswordError) {
      return this.showForm(req, res, HttpStatus.FORBIDDEN, form, { ...shown, errors: { currentPassword: [error.message] } });
    }
    if (error instanceof InvalidInputError)
      return this.showForm(req, res, HttpStatus.UNPROCESSABLE_ENTITY, form, { ...shown, errors: error.problems });
    if (error instanceof LastAdminError)
      return this.showForm(req, res, HttpStatus.CONFLICT, form, { ...shown, errors: { currentPassword: [error.message] } });
    throw error;
  }

  private async showForm(req: Request, res: Response, status: HttpStatus, form: AccountForm, state: Record<string, unknown>) {
    res.status(status).render('pages/account/account', await this.model(req, { [form]: state }));
  }

  /** Logged out here too: the session ends, the browser's cache is cleared, and the login page says why. */
  private async startAfresh(req: Request, res: Response, message: string) {
    await endSession(req);
    clearBrowserCache(res);
    flashAndRedirect(req, res, 'success', message, '/login');
  }

  private async model(req: Request, forms: Partial<Record<AccountForm, Record<string, unknown>>>) {
    const user = await this.accounts.account(currentUserOf(req).id);
    return {
      title: 'My account',
      profile: { values: { username: user.username, email: user.email }, errors: {} },
      password: { errors: {} },
      deletion: { errors: {} },
      ...forms,
      storage: storageUsageView(await this.quota.usage(user.id)),
      username: user.username,
    };
  }
}
