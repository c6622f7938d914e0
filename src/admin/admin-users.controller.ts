import { Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { flashAndRedirect } from '../common/flash/flash-and-redirect';
import { renderPageOrFragment } from '../common/htmx/page-or-fragment';
import { CurrentUser, currentUserOf } from '../common/http/current-user.decorator';
import { field } from '../common/http/form-fields';
import { Roles } from '../common/http/roles.decorator';
import { humanSize } from '../common/views/human-size';
import { endSession } from '../sessions/session-lifecycle';
import { LastAdminError } from '../users/last-admin';
import { AdminUsersService, ConfirmationMismatchError } from './admin-users.service';
import { parseQuotaMb, userRow } from './admin.view';

export const QUOTA_INVALID = 'Enter the quota in whole megabytes (MB), or leave it empty for no limit.';

/** /admin/users: every account, searchable and paged (htmx swaps the table; plain links and forms work too). */
@Roles('admin')
@Controller('admin')
export class AdminUsersController {
  constructor(private readonly users: AdminUsersService) {}

  @Get()
  home(@Res() res: Response) {
    res.redirect(302, '/admin/users');
  }

  @Get('users')
  async list(@Req() req: Request, @Res() res: Response, @Query('q') q: unknown, @Query('page') page: unknown) {
    const query = typeof q === 'string' ? q.slice(0, 100) : '';
    const result = await this.users.list(query, Number(typeof page === 'string' ? page : 1) || 1);
    const model = {
      q: query,
      total: result.total,
      users: result.users.map(userRow),
      page: result.page,
      pages: result.pages,
      previous: result.page > 1 ? pageLink(query, result.page - 1) : undefined,
      next: result.page < result.pages ? pageLink(query, result.page + 1) : undefined,
    };
    await renderPageOrFragment(req, res, { page: 'pages/admin/users', fragment: 'partials/admin/users-table' }, model, {
      title: 'Users',
      tab: { users: true },
    });
  }

  @Get('users/:id')
  async show(@Res() res: Response, @Param('id') id: string) {
    const user = userRow(await this.users.find(id));
    res.render('pages/admin/user', { title: user.username, user, tab: { users: true } });
  }

  @Post('users/:id/disable')
  disable(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    return this.act(
      req,
      res,
      id,
      async () => `${(await this.users.setDisabled(id, true)).username} is disabled and has been signed out everywhere.`,
      'signed out',
    );
  }

  @Post('users/:id/enable')
  enable(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    return this.act(req, res, id, async () => `${(await this.users.setDisabled(id, false)).username} can log in again.`);
  }

  @Post('users/:id/promote')
  promote(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    return this.act(req, res, id, async () => `${(await this.users.setRole(id, 'admin')).username} is now an admin.`);
  }

  @Post('users/:id/demote')
  demote(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    return this.act(
      req,
      res,
      id,
      async () => `${(await this.users.setRole(id, 'user')).username} is now a regular user.`,
      'no longer admin',
    );
  }

  @Post('users/:id/quota')
  quota(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    return this.act(req, res, id, async () => {
      const quotaBytes = parseQuotaMb(field(req.body, 'quotaMb'));
      if (quotaBytes === undefined) return { error: QUOTA_INVALID };
      const user = await this.users.setQuota(id, quotaBytes);
      return quotaBytes === null
        ? `${user.username} has no storage limit now.`
        : `${user.username}'s storage quota is now ${humanSize(quotaBytes)}.`;
    });
  }

  @Post('users/:id/password-reset')
  passwordReset(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    return this.act(req, res, id, async () => `A password reset link was sent to ${(await this.users.sendPasswordReset(id)).email}.`);
  }

  @Post('users/:id/delete')
  async delete(@Req() req: Request, @Res() res: Response, @CurrentUser() admin: Express.User, @Param('id') id: string) {
    let user;
    try {
      user = await this.users.delete(id, field(req.body, 'confirmUsername'));
    } catch (error) {
      if (!(error instanceof LastAdminError || error instanceof ConfirmationMismatchError)) throw error;
      return flashAndRedirect(req, res, 'danger', error.message, `/admin/users/${id}`);
    }
    const self = user.id === admin.id;
    // Their sessions have ended, this one too.
    if (self) await endSession(req);
    flashAndRedirect(req, res, 'success', `${user.username} and all their photos have been deleted.`, self ? '/login' : '/admin/users');
  }

  /**
   * Runs one action, then back to the user's page with what happened (or why it was refused). An admin who has just
   * done it to themselves may no longer see that page: `onSelf` says what they became instead.
   */
  private async act(req: Request, res: Response, id: string, action: () => Promise<string | { error: string }>, onSelf?: SelfChange) {
    let outcome: string | { error: string };
    try {
      outcome = await action();
    } catch (error) {
      if (!(error instanceof LastAdminError)) throw error;
      outcome = { error: error.message };
    }
    if (typeof outcome !== 'string') return flashAndRedirect(req, res, 'danger', outcome.error, `/admin/users/${id}`);
    if (!onSelf || id !== currentUserOf(req).id) return flashAndRedirect(req, res, 'success', outcome, `/admin/users/${id}`);
    // A disabled admin has no session left (theirs have all ended, this one too); a demoted one has no admin area.
    if (onSelf === 'signed out') await endSession(req);
    flashAndRedirect(req, res, 'success', outcome, onSelf === 'signed out' ? '/login' : '/');
  }
}

/** What an admin becomes by doing the action to their own account. */
type SelfChange = 'signed out' | 'no longer admin';

function pageLink(q: string, page: number): string {
  const params = new URLSearchParams();
  if (q) params.set('q', q);
  params.set('page', String(page));
  return `/admin/users?${params}`;
}
