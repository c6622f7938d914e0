import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { IS_PUBLIC } from './public.decorator';
import { rolesOf } from './roles.decorator';
import { LoginRequiredException } from './login-required.exception';

/**
 * Deny by default: every route needs a logged-in user unless it is marked @Public(). Routes limited by @Roles(…)
 * are left to the RolesGuard, which answers 404 rather than sending anyone to the login page.
 */
@Injectable()
export class AuthenticatedGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic || rolesOf(this.reflector, [context.getHandler(), context.getClass()])) return true;
    const req = context.switchToHttp().getRequest<Request>();
    if (req.isAuthenticated()) return true;
    throw new LoginRequiredException();
  }
}
