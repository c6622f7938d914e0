import { Clock } from '../time/clock';

/** Counts events per key within a sliding window, in memory, on the app's Clock. */
export class AttemptCounter {
  private readonly events = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    private readonly windowMs: number,
  ) {}

  count(key: string): number {
    return this.recent(key).length;
  }

  record(key: string): void {
    this.events.set(key, [...this.recent(key), this.clock.now().getTime()]);
  }

  clear(key: string): void {
    this.events.delete(key);
  }

  /** Seconds until the oldest counted event leaves the window (when one more attempt becomes possible). */
  secondsUntilSlotFrees(key: string): number {
    const [oldest] = this.recent(key);
    return oldest === undefined ? 0 : Math.max(1, Math.ceil((oldest + this.windowMs - this.clock.now().getTime()) / 1000));
  }

  private recent(key: string): number[] {
    const since = this.clock.now().getTime() - this.windowMs;
    const recent = (this.events.get(key) ?? []).filter((time) => time > since);
    if (recent.length === 0) this.events.delete(key);
    return recent;
  }
}
