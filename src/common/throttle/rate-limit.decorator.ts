import { applyDecorators, CanActivate, Type, UseGuards } from '@nestjs/common';
import { Throttle, ThrottlerGuard } from '@nestjs/throttler';

/**
 * At most `limit` requests per client IP in `ttlMs` on this route; the next gets 429 with Retry-After. `guards` run
 * after the limit, in this order, so that a refused request never reaches them (a login's password check, say):
 * guards from a separate `@UseGuards` would run in decorator order, which is easy to get wrong.
 */
export const RateLimit = (limit: number, ttlMs: number, ...guards: Array<Type<CanActivate>>) =>
  applyDecorators(UseGuards(ThrottlerGuard, ...guards), Throttle({ default: { limit, ttl: ttlMs } }));

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
