/** Injectable time source, so expiry rules can be tested at their exact boundaries. */
export const CLOCK = Symbol('CLOCK');

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
