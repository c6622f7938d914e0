import { Clock } from '../time/clock';
import { DEFAULT_MAX_KEYS, ExpiringMap } from './expiring-map';

/**
 * Counts events per key within a sliding window, in memory, on the app's Clock. A key goes once its last event has
 * left the window, and at most `maxKeys` keys are kept (the least recently counted goes first; see ExpiringMap).
 */
export class AttemptCounter {
  private readonly events: ExpiringMap<number[]>;

  constructor(
    private readonly clock: Clock,
    private readonly windowMs: number,
    maxKeys = DEFAULT_MAX_KEYS,
  ) {
    this.events = new ExpiringMap(clock, maxKeys);
  }

  /** Keys held now (bounded by `maxKeys`). */
  get size(): number {
    return this.events.size;
  }

  count(key: string): number {
    return this.recent(key).length;
  }

  /** Counts one event now and returns its time, with which `forget` can take it back. */
  record(key: string): number {
    const now = this.clock.now().getTime();
    this.events.set(key, [...this.recent(key), now], now + this.windowMs);
    return now;
  }

  /** Takes back one event counted at `time` (an attempt that turned out not to count). */
  forget(key: string, time: number): void {
    const events = this.events.get(key) ?? [];
    const index = events.indexOf(time);
    if (index < 0) return;
    events.splice(index, 1);
    if (events.length === 0) this.events.delete(key);
  }

  /** Seconds until the oldest counted event leaves the window (when one more attempt becomes possible). */
  secondsUntilSlotFrees(key: string): number {
    const [oldest] = this.recent(key);
    return oldest === undefined ? 0 : Math.max(1, Math.ceil((oldest + this.windowMs - this.clock.now().getTime()) / 1000));
  }

  private recent(key: string): number[] {
    const since = this.clock.now().getTime() - this.windowMs;
    return (this.events.get(key) ?? []).filter((time) => time > since);
  }
}
