import { SetMetadata } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { Role } from '../../users/user.entity';

const ROLES = 'roles';

/** Limits a route (or a controller) to users with one of these roles; for anyone else it does not exist (404). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES, roles);

/** The roles a handler or its controller requires, or undefined when it has no @Roles(…). */
export const rolesOf = (reflector: Reflector, targets: Parameters<Reflector['getAllAndOverride']>[1]) =>
  reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
