import { AttemptCounter } from '../common/throttle/attempt-counter';
import { HOUR } from '../common/throttle/rate-limit.decorator';
import { TooManyRequestsException } from '../common/throttle/too-many-requests.exception';
import { waitText } from '../common/throttle/throttle.module';
import { Clock } from '../common/time/clock';

export const MAX_FAILURES_PER_HOUR = 100;
const FREE_ATTEMPTS = 5;
const MAX_DELAY_MS = 25_000;
/** Attempts of one key running at once, waiting out their delay or being checked; more are refused at once. */
export const MAX_ATTEMPTS_AT_ONCE = 2;

/**
 * Login attempts of one kind of client (see AccountLoginThrottle), per key, within the last hour. An attempt is
 * counted when it starts, in the same step that checks the count, so parallel requests cannot all read the same
 * count: at most 100 are ever checked per key and hour, and one that succeeds gives its count back. After 5
 * attempts each one first waits 0.1 s, 0.2 s, 0.4 s … (at most 25 s), before its check takes one of the shared
 * argon2 slots. Only 2 attempts of a key run at once (waiting or being checked) and more are refused at once, not
 * queued, so a burst against one account puts at most 2 hashes ahead of everyone else's logins.
 */
export class LoginBudget {
  private readonly attempts: AttemptCounter;
  private readonly running = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    maxKeys?: number,
  ) {
    this.attempts = new AttemptCounter(clock, HOUR, maxKeys);
  }

  /** Runs `check` (the password verification) within the key's budget, or throws 429 without running it. */
  async attempt(key: string, check: () => Promise<boolean>): Promise<boolean> {
    const earlier = this.attempts.count(key);
    if (earlier >= MAX_FAILURES_PER_HOUR) {
      const wait = this.attempts.secondsUntilSlotFrees(key);
      throw new TooManyRequestsException(`Too many failed logins for this account. Please wait ${waitText(wait)} and try again.`, wait);
    }
    const delayMs = earlier < FREE_ATTEMPTS ? 0 : Math.min(MAX_DELAY_MS, 100 * 2 ** (earlier - FREE_ATTEMPTS));
    const running = this.running.get(key) ?? 0;
    if (running >= MAX_ATTEMPTS_AT_ONCE) {
      const wait = Math.max(1, Math.ceil(delayMs / 1000));
      throw new TooManyRequestsException(`Too many logins to this account at once. Please wait ${waitText(wait)} and try again.`, wait);
    }
    const startedAt = this.attempts.record(key);
    this.running.set(key, running + 1);
    try {
      if (delayMs > 0) await this.clock.sleep(delayMs);
      const passed = await check();
      if (passed) this.attempts.forget(key, startedAt);
      return passed;
    } finally {
      this.ended(key);
    }
  }

  private ended(key: string): void {
    const left = (this.running.get(key) ?? 1) - 1;
    if (left > 0) this.running.set(key, left);
    else this.running.delete(key);
  }
}
