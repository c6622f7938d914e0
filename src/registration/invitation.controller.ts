import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { hashToken } from '../common/secret-token';
import { Public } from '../common/http/public.decorator';

/** An invitation link: the token moves into the session (no secret left in the address bar), then to /register. */
@Public()
@Controller()
export class InvitationController {
  @Get('invite/:token')
  accept(@Req() req: Request, @Res() res: Response, @Param('token') token: string) {
    req.session.invitationHash = hashToken(token);
    res.redirect(302, '/register');
  }
}
