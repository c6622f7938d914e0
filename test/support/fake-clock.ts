import { Clock } from '../../src/common/time/clock';

/** A clock the test moves by hand. */
export class FakeClock implements Clock {
  constructor(private time = Date.now()) {}

  now(): Date {
    return new Date(this.time);
  }

  advance(ms: number): void {
    this.time += ms;
  }
}
