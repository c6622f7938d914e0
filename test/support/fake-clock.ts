import { Clock } from '../../src/common/time/clock';

interface Sleeper {
  until: number;
  wake: () => void;
}

/**
 * A clock the test moves by hand; sleeping moves it too, at once — unless the test holds sleeps (`holdSleeps`):
 * then a sleep waits until `advance` reaches its end, so a test can see what happens while something waits.
 */
export class FakeClock implements Clock {
  readonly slept: number[] = [];
  private held = false;
  private sleepers: Sleeper[] = [];
  private readonly sleepListeners: Array<() => void> = [];

  constructor(private time = Date.now()) {}

  now(): Date {
    return new Date(this.time);
  }

  async sleep(ms: number): Promise<void> {
    this.slept.push(ms);
    if (!this.held) return this.advance(ms);
    const woken = new Promise<void>((wake) => this.sleepers.push({ until: this.time + ms, wake }));
    for (const listener of this.sleepListeners) listener();
    await woken;
  }

  advance(ms: number): void {
    this.time += ms;
    const due = this.sleepers.filter((sleeper) => sleeper.until <= this.time);
    this.sleepers = this.sleepers.filter((sleeper) => sleeper.until > this.time);
    for (const sleeper of due) sleeper.wake();
  }

  /** From now on sleeps wait for `advance` (`hold = false`: they move the clock themselves again). */
  holdSleeps(hold = true): void {
    this.held = hold;
  }

  /** Sleeps waiting for `advance` now. */
  get sleeping(): number {
    return this.sleepers.length;
  }

  /** Calls `listener` whenever a held sleep starts. */
  onSleep(listener: () => void): void {
    this.sleepListeners.push(listener);
  }
}
