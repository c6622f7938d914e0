import { applyDecorators, UseGuards } from '@nestjs/common';
import { Throttle, ThrottlerGuard } from '@nestjs/throttler';

/** At most `limit` requests per client IP in `ttlMs` on this route; the next gets 429 with Retry-After. */
export const RateLimit = (limit: number, ttlMs: number) =>
  applyDecorators(UseGuards(ThrottlerGuard), Throttle({ default: { limit, ttl: ttlMs } }));

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
