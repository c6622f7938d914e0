import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';

/**
 * Runs the local strategy and, on success, logs the user in (passport regenerates the session, so the old session
 * id and its CSRF token die). A failed login is not an exception: the controller re-renders the form.
 */
@Injectable()
export class LoginGuard extends AuthGuard('local') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    await super.canActivate(context);
    const req = context.switchToHttp().getRequest<Request>();
    if (req.user) await super.logIn(req);
    return true;
  }

  override handleRequest<TUser>(error: unknown, user: TUser | false, info: unknown, context: ExecutionContext): TUser | undefined {
    if (error) throw error;
    if (!user && (info as { disabled?: boolean } | undefined)?.disabled) context.switchToHttp().getRequest<Request>().loginRefusedAsDisabled = true;
    return user || undefined;
  }
}
