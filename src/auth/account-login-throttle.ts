import { Inject, Injectable } from '@nestjs/common';
import { AttemptCounter } from '../common/throttle/attempt-counter';
import { HOUR } from '../common/throttle/rate-limit.decorator';
import { TooManyRequestsException } from '../common/throttle/too-many-requests.exception';
import { waitText } from '../common/throttle/throttle.module';
import { Clock, CLOCK } from '../common/time/clock';

export const MAX_FAILURES_PER_HOUR = 100;
const FREE_FAILURES = 5;
const MAX_DELAY_MS = 25_000;

/**
 * Guessing one account's password gets slower and then stops: after 5 failures within an hour each attempt waits
 * 0.1 s, 0.2 s, 0.4 s … (at most 25 s), and after 100 failures the account refuses logins until the oldest failure
 * is an hour old. Nothing is locked for good, so nobody can lock someone else out permanently.
 */
@Injectable()
export class AccountLoginThrottle {
  private readonly failures: AttemptCounter;

  constructor(@Inject(CLOCK) private readonly clock: Clock) {
    this.failures = new AttemptCounter(clock, HOUR);
  }

  async beforeAttempt(account: string): Promise<void> {
    const failures = this.failures.count(account);
    if (failures >= MAX_FAILURES_PER_HOUR) {
      const wait = this.failures.secondsUntilSlotFrees(account);
      throw new TooManyRequestsException(`Too many failed logins for this account. Please wait ${waitText(wait)} and try again.`, wait);
    }
    if (failures >= FREE_FAILURES) await this.clock.sleep(Math.min(MAX_DELAY_MS, 100 * 2 ** (failures - FREE_FAILURES)));
  }

  failed(account: string): void {
    this.failures.record(account);
  }

  succeeded(account: string): void {
    this.failures.clear(account);
  }
}
