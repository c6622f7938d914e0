import { Clock } from '../../src/common/time/clock';

/** A clock the test moves by hand; sleeping moves it too, at once. */
export class FakeClock implements Clock {
  readonly slept: number[] = [];

  constructor(private time = Date.now()) {}

  now(): Date {
    return new Date(this.time);
  }

  async sleep(ms: number): Promise<void> {
    this.slept.push(ms);
    this.advance(ms);
  }

  advance(ms: number): void {
    this.time += ms;
  }
}
