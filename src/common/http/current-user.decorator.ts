import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { LoginRequiredException } from './login-required.exception';

/** The logged-in user of a request; a request without one is sent to log in (LoginRequiredException). */
export function currentUserOf(req: Request): Express.User {
  if (!req.user) throw new LoginRequiredException();
  return req.user;
}

/**
 * The logged-in user, for handlers of routes that need a login (all but @Public() ones: the AuthenticatedGuard has
 * already made sure there is one): `show(@CurrentUser() user: Express.User)` instead of `req.user!`.
 */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): Express.User =>
  currentUserOf(context.switchToHttp().getRequest<Request>()),
);
