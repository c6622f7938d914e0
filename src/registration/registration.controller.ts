import { Controller, Get, HttpStatus, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { flashAndRedirect } from '../common/flash/flash-and-redirect';
import { Public } from '../common/http/public.decorator';
import { InvalidInputError } from '../common/invalid-input';
import { HOUR, RateLimit } from '../common/throttle/rate-limit.decorator';
import { trimmedProfile } from '../users/account-fields';
import { newAccountFrom } from './registration-form';
import { RegistrationAccess, RegistrationClosedError, RegistrationService } from './registration.service';

export const REGISTERED = 'Registration successful. Please log in.';
export const REGISTRATION_INVITE_ONLY =
  'Registration is by invitation only. Ask an administrator of this Photosphere for an invitation link.';
export const REGISTRATION_CLOSED = 'Registration is closed. Ask an administrator of this Photosphere to create an account for you.';
export const INVITATION_INVALID = 'This invitation link has expired or has already been used. Ask an administrator for a new one.';

/** /register: the form when registration is open to this visitor (mode, invitation, empty instance), else why not. */
@Public()
@Controller('register')
export class RegistrationController {
  constructor(private readonly registration: RegistrationService) {}

  @Get()
  async page(@Req() req: Request, @Res() res: Response) {
    if (req.user) return res.redirect(303, '/');
    const access = await this.registration.access(req.session.invitationHash);
    if (!access.allowed) return res.render('pages/registration/closed', registrationClosed(access, req.session.invitationHash));
    res.render('pages/registration/register', { title: 'Create your account', access, values: {}, errors: {} });
  }

  @Post()
  @RateLimit(10, HOUR)
  async register(@Req() req: Request, @Res() res: Response) {
    const account = newAccountFrom(req.body);
    try {
      await this.registration.register(account, req.session.invitationHash);
    } catch (error) {
      const access = await this.registration.access(req.session.invitationHash);
      if (error instanceof RegistrationClosedError) {
        return res.status(HttpStatus.FORBIDDEN).render('pages/registration/closed', registrationClosed(access, req.session.invitationHash));
      }
      if (!(error instanceof InvalidInputError)) throw error;
      return res.status(HttpStatus.UNPROCESSABLE_ENTITY).render('pages/registration/register', {
        title: 'Create your account',
        access,
        values: trimmedProfile(account),
        errors: error.problems,
      });
    }
    delete req.session.invitationHash;
    flashAndRedirect(req, res, 'success', REGISTERED, '/login');
  }
}

function registrationClosed(access: RegistrationAccess, invitationHash: string | undefined) {
  if (access.mode !== 'invite') return { title: 'Registration closed', message: REGISTRATION_CLOSED };
  return { title: 'Invitation needed', message: invitationHash ? INVITATION_INVALID : REGISTRATION_INVITE_ONLY };
}
