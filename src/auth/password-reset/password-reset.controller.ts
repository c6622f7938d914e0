import { Controller, Get, HttpStatus, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { flashAndRedirect } from '../../common/flash/flash-and-redirect';
import { Public } from '../../common/http/public.decorator';
import { HOUR, RateLimit } from '../../common/throttle/rate-limit.decorator';
import { field } from '../../common/http/form-fields';
import { hashToken } from '../../common/secret-token';
import { endSession } from '../../sessions/session-lifecycle';
import { InvalidInputError } from '../../common/invalid-input';
import { InvalidResetLinkError, PasswordResetService } from './password-reset.service';

export const RESET_REQUESTED = 'If an account exists for that email, we have sent a link to reset its password.';
export const PASSWORD_RESET_DONE = 'Your password has been reset. Please log in.';

/** The original app's forgot/reset pages, made safe: emailed single-use links instead of /reset-password/<email>. */
@Public()
@Controller()
export class PasswordResetController {
  constructor(private readonly resets: PasswordResetService) {}

  @Get('forgot-password')
  forgotPage(@Res() res: Response) {
    res.render('pages/auth/forgot-password', { title: 'Forgot password' });
  }

  /** The same page, status and timing whether or not the account exists: the link is issued by a job, after the answer. */
  @Post('forgot-password')
  @RateLimit(20, HOUR)
  async forgot(@Req() req: Request, @Res() res: Response) {
    const email = field(req.body, 'email').trim().slice(0, 254);
    await this.resets.requestLater(email);
    res.status(HttpStatus.OK).render('pages/auth/forgot-password', { title: 'Forgot password', email, sent: RESET_REQUESTED });
  }

  /** Moves the token from the URL into the session, so no secret stays in the address bar, history or logs. */
  @Get('reset-password/:token')
  takeToken(@Req() req: Request, @Res() res: Response, @Param('token') token: string) {
    req.session.passwordResetHash = hashToken(token);
    res.redirect(302, '/reset-password');
  }

  @Get('reset-password')
  async resetPage(@Req() req: Request, @Res() res: Response) {
    const user = await this.resets.accountFor(req.session.passwordResetHash);
    if (!user) return res.render('pages/auth/reset-invalid', { title: 'Link not valid' });
    res.render('pages/auth/reset-password', { title: 'Choose a new password', ...accountOf(user.username), errors: {} });
  }

  @Post('reset-password')
  @RateLimit(20, HOUR)
  async reset(@Req() req: Request, @Res() res: Response) {
    try {
      await this.resets.complete(req.session.passwordResetHash, {
        password: field(req.body, 'password'),
        confirmPassword: field(req.body, 'confirmPassword'),
      });
    } catch (error) {
      if (error instanceof InvalidResetLinkError)
        return res.status(HttpStatus.OK).render('pages/auth/reset-invalid', { title: 'Link not valid' });
      if (!(error instanceof InvalidInputError)) throw error;
      const user = await this.resets.accountFor(req.session.passwordResetHash);
      return res.status(HttpStatus.UNPROCESSABLE_ENTITY).render('pages/auth/reset-password', {
        title: 'Choose a new password',
        ...accountOf(user?.username),
        errors: error.problems,
      });
    }
    // Every session of the user has ended; so does this one, which only held the link's token.
    await endSession(req);
    flashAndRedirect(req, res, 'success', PASSWORD_RESET_DONE, '/login');
  }
}

/** The account being reset, for the page's subtitle and for password managers (a hidden username field). */
function accountOf(username: string | undefined) {
  return { username, account: username ? `For the account ${username}` : undefined };
}
