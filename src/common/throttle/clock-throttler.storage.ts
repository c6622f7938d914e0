import { Inject, Injectable } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { Clock, CLOCK } from '../time/clock';

interface Window {
  hits: number;
  expiresAt: number;
  blockedUntil?: number;
}

const PRUNE_EVERY = 1000;

/**
 * @nestjs/throttler's counters, in memory, on the app's Clock (so tests can move time). The same fixed-window
 * semantics as the library's own storage: over the limit, the key is blocked for `blockDuration`.
 */
@Injectable()
export class ClockThrottlerStorage implements ThrottlerStorage {
  private readonly windows = new Map<string, Window>();
  private calls = 0;

  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number) {
    const now = this.clock.now().getTime();
    if (++this.calls % PRUNE_EVERY === 0) this.prune(now);
    let window = this.windows.get(key);
    if (!window || (window.blockedUntil === undefined && window.expiresAt <= now) || (window.blockedUntil !== undefined && window.blockedUntil <= now)) {
      window = { hits: 0, expiresAt: now + ttl };
      this.windows.set(key, window);
    }
    window.hits++;
    if (window.blockedUntil === undefined && window.hits > limit) window.blockedUntil = now + blockDuration;
    const seconds = (until: number) => Math.max(0, Math.ceil((until - now) / 1000));
    return {
      totalHits: window.hits,
      timeToExpire: seconds(window.expiresAt),
      isBlocked: window.blockedUntil !== undefined,
      timeToBlockExpire: window.blockedUntil === undefined ? 0 : seconds(window.blockedUntil),
    };
  }

  private prune(now: number): void {
    for (const [key, window] of this.windows) {
      if (Math.max(window.expiresAt, window.blockedUntil ?? 0) <= now) this.windows.delete(key);
    }
  }
}
