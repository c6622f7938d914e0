import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { Request, Response } from 'express';
import { DeviceCookies } from './device-cookie';
import { LoginInfo } from './local.strategy';

/**
 * Runs the local strategy and, on success, logs the user in (passport regenerates the session, so the old session
 * id and its CSRF token die) and gives the browser a device cookie for the account. A failed login is not an
 * exception: the controller re-renders the form. Put it after the login's rate limit (`@RateLimit(…, LoginGuard)`),
 * so that a refused attempt never gets this far.
 */
@Injectable()
export class LoginGuard extends AuthGuard('local') {
  constructor(private readonly devices: DeviceCookies) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    await super.canActivate(context);
    const req = context.switchToHttp().getRequest<Request>();
    if (req.user) {
      await super.logIn(req);
      this.devices.issue(context.switchToHttp().getResponse<Response>(), req.user.id);
    }
    return true;
  }

  override handleRequest<TUser>(
    error: unknown,
    user: TUser | false,
    info: LoginInfo | undefined,
    context: ExecutionContext,
  ): TUser | undefined {
    if (error) throw error;
    const req = context.switchToHttp().getRequest<Request>();
    if (!user && info?.disabled) req.loginRefusedAsDisabled = true;
    if (user && info?.firstLogin) req.firstLogin = true;
    return user || undefined;
  }
}
