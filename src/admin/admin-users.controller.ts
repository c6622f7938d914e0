import { Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { flash } from '../common/flash/flash';
import { wantsFragment } from '../common/htmx/htmx';
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
    if (wantsFragment(req)) return res.render('partials/admin/users-table', { ...model, layout: false });
    res.render('pages/admin/users', { ...model, title: 'Users', tab: { users: true } });
  }

  @Get('users/:id')
  async show(@Res() res: Response, @Param('id') id: string) {
    const user = userRow(await this.users.find(id));
    res.render('pages/admin/user', { title: user.username, user, tab: { users: true } });
  }

  @Post('users/:id/disable')
  disable(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    return this.act(req, res, id, async () => `${(await this.users.setDisabled(id, true)).username} is disabled and has been signed out everywhere.`, '/login');
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
    return this.act(req, res, id, async () => `${(await this.users.setRole(id, 'user')).username} is now a regular user.`, '/');
  }

  @Post('users/:id/quota')
  quota(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    return this.act(req, res, id, async () => {
      const quotaBytes = parseQuotaMb(field(req.body, 'quotaMb'));
      if (quotaBytes === undefined) return { error: QUOTA_INVALID };
      const user = await this.users.setQuota(id, quotaBytes);
      return quotaBytes === null ? `${user.username} has no storage limit now.` : `${user.username}'s storage quota is now ${humanSize(quotaBytes)}.`;
    });
  }

  @Post('users/:id/password-reset')
  passwordReset(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    return this.act(req, res, id, async () => `A password reset link was sent to ${(await this.users.sendPasswordReset(id)).email}.`);
  }

  @Post('users/:id/delete')
  async delete(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    try {
      const user = await this.users.delete(id, field(req.body, 'confirmUsername'));
      const self = user.id === req.user!.id;
      // Their sessions have ended, this one too.
      if (self) await endSession(req);
      flash(req, 'success', `${user.username} and all their photos have been deleted.`);
      res.redirect(303, self ? '/login' : '/admin/users');
    } catch (error) {
      if (!(error instanceof LastAdminError || error instanceof ConfirmationMismatchError)) throw error;
      flash(req, 'danger', error.message);
      res.redirect(303, `/admin/users/${id}`);
    }
  }

  /**
   * Runs one action, then back to the user's page with what happened (or why it was refused). An admin who has just
   * disabled or demoted themselves can no longer see that page, so they go to `selfDestination` instead (a disabled
   * admin without a session: theirs have all ended, this one too).
   */
  private async act(req: Request, res: Response, id: string, action: () => Promise<string | { error: string }>, selfDestination?: string) {
    let outcome: string | { error: string };
    try {
      outcome = await action();
    } catch (error) {
      if (!(error instanceof LastAdminError)) throw error;
      outcome = { error: error.message };
    }
    const leave = typeof outcome === 'string' && selfDestination !== undefined && id === req.user!.id;
    if (leave && selfDestination === '/login') await endSession(req);
    if (typeof outcome === 'string') flash(req, 'success', outcome);
    else flash(req, 'danger', outcome.error);
    res.redirect(303, leave ? selfDestination! : `/admin/users/${id}`);
  }
}

function pageLink(q: string, page: number): string {
  const params = new URLSearchParams();
  if (q) params.set('q', q);
  params.set('page', String(page));
  return `/admin/users?${params}`;
}
