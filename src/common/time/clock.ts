import { setTimeout as delay } from 'node:timers/promises';

/** Injectable time source, so expiry rules and delays can be tested at their exact boundaries. */
export const CLOCK = Symbol('CLOCK');

export interface Clock {
  now(): Date;
  /** Waits (in tests: moves the clock instead). */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: async (ms) => {
    await delay(ms);
  },
};
