import { CanActivate, ExecutionContext, Injectable, NotFoundException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { rolesOf } from './roles.decorator';

/**
 * Routes marked @Roles(…) answer 404 to everyone without one of the roles — logged out or not — exactly as a path
 * that does not exist. Runs after the CSRF guard: a state change without a valid token is a 403 for everyone.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = rolesOf(this.reflector, [context.getHandler(), context.getClass()]);
    if (!roles) return true;
    const req = context.switchToHttp().getRequest<Request>();
    if (req.isAuthenticated() && roles.includes(req.user!.role)) return true;
    throw new NotFoundException();
  }
}
