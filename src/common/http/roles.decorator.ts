import { SetMetadata } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
/** What an account may do: every account is a user; admins also manage accounts and the instance's settings. */
export const ROLES = ['admin', 'user'] as const;
export type Role = (typeof ROLES)[number];

const ROLES_KEY = 'roles';

/** Limits a route (or a controller) to users with one of these roles; for anyone else it does not exist (404). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** The roles a handler or its controller requires, or undefined when it has no @Roles(…). */
export const rolesOf = (reflector: Reflector, targets: Parameters<Reflector['getAllAndOverride']>[1]) =>
  reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
