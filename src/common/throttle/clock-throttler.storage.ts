import { ThrottlerStorage } from '@nestjs/throttler';
import { Clock } from '../time/clock';
import { ExpiringMap } from './expiring-map';

interface Window {
  hits: number;
  expiresAt: number;
  blockedUntil?: number;
}

/**
 * @nestjs/throttler's counters, in memory, on the app's Clock (so tests can move time). The same fixed-window
 * semantics as the library's own storage: over the limit, the key is blocked for `blockDuration`. Keys are per
 * client address and route, held in an ExpiringMap: expired windows are swept and the map is capped. Filling the
 * cap takes as many client addresses as it holds, and whoever has those needs no eviction to send more requests.
 */
export class ClockThrottlerStorage implements ThrottlerStorage {
  private readonly windows: ExpiringMap<Window>;

  constructor(
    private readonly clock: Clock,
    maxKeys?: number,
  ) {
    this.windows = new ExpiringMap(clock, maxKeys);
  }

  /** Keys held now (bounded by `maxKeys`). */
  get size(): number {
    return this.windows.size;
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number) {
    const now = this.clock.now().getTime();
    const window = this.windows.get(key) ?? { hits: 0, expiresAt: now + ttl };
    window.hits++;
    if (window.blockedUntil === undefined && window.hits > limit) window.blockedUntil = now + blockDuration;
    this.windows.set(key, window, window.blockedUntil ?? window.expiresAt);
    const seconds = (until: number) => Math.max(0, Math.ceil((until - now) / 1000));
    return {
      totalHits: window.hits,
      timeToExpire: seconds(window.expiresAt),
      isBlocked: window.blockedUntil !== undefined,
      timeToBlockExpire: window.blockedUntil === undefined ? 0 : seconds(window.blockedUntil),
    };
  }
}
