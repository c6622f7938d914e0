import { Controller, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { flashAndRedirect } from '../common/flash/flash-and-redirect';
import { CurrentUser } from '../common/http/current-user.decorator';
import { field } from '../common/http/form-fields';
import { Roles } from '../common/http/roles.decorator';
import { Clock, CLOCK } from '../common/time/clock';
import { INVITATION_DAYS, InvitationsService } from '../registration/invitations.service';
import { REGISTRATION_MODES, RegistrationMode, RegistrationService } from '../registration/registration.service';
import { UserRepository } from '../users/user.repository';
import { invitationRow } from './admin.view';

const SETTINGS = '/admin/settings';
const MODE_NAMES: Record<RegistrationMode, string> = { open: 'open to everyone', invite: 'by invitation only', closed: 'closed' };

/** /admin/settings: the registration mode, and invitation links for invite-only registration. */
@Roles('admin')
@Controller('admin')
export class AdminSettingsController {
  constructor(
    private readonly registration: RegistrationService,
    private readonly invitations: InvitationsService,
    private readonly userRows: UserRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('settings')
  async page(@Res() res: Response) {
    res.render('pages/admin/settings', await this.model());
  }

  @Post('settings/registration')
  async setMode(@Req() req: Request, @Res() res: Response) {
    const mode = REGISTRATION_MODES.find((candidate) => candidate === field(req.body, 'mode'));
    if (!mode) return flashAndRedirect(req, res, 'danger', 'Choose one of the registration modes.', SETTINGS);
    await this.registration.setMode(mode);
    flashAndRedirect(req, res, 'success', `Registration is now ${MODE_NAMES[mode]}.`, SETTINGS);
  }

  /** The new link is shown once, on this response: it is stored nowhere but in the admin's hands. */
  @Post('invitations')
  async invite(@Req() req: Request, @Res() res: Response, @CurrentUser() admin: Express.User) {
    const days = INVITATION_DAYS.find((candidate) => String(candidate) === field(req.body, 'days')) ?? 7;
    const { link } = await this.invitations.create(admin.id, days);
    res.status(201).render('pages/admin/settings', { ...(await this.model()), newInvitation: { link, days } });
  }

  @Post('invitations/:id/revoke')
  async revoke(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    if (await this.invitations.revoke(id)) flashAndRedirect(req, res, 'success', 'The invitation link no longer works.', SETTINGS);
    else flashAndRedirect(req, res, 'warning', 'That invitation was already used or removed.', SETTINGS);
  }

  private async model() {
    const [mode, invitations] = await Promise.all([this.registration.mode(), this.invitations.recent()]);
    const usernames = await this.userRows.usernamesOf(invitations.flatMap((i) => [i.createdById, i.usedById ?? '']).filter(Boolean));
    const now = this.clock.now();
    return {
      title: 'Settings',
      tab: { settings: true },
      modes: REGISTRATION_MODES.map((value) => ({ value, checked: value === mode })),
      mode,
      days: INVITATION_DAYS.map((value) => ({ value, selected: value === 7 })),
      invitations: invitations.map((invitation) => invitationRow(invitation, usernames, now)),
    };
  }
}
