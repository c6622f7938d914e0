import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Clock, CLOCK } from '../common/time/clock';
import { LoginBudget } from './login-budget';

/** Who is logging in, as far as the budgets care: an account (maybe from one of its devices), or a name with none. */
export type LoginClient = { accountId: string; deviceId?: string } | { unknownName: string };

/**
 * Guessing one account's password gets slower and then stops (LoginBudget: 100 attempts an hour, delays after 5),
 * following OWASP's device-cookie pattern: a browser holding a device cookie for the account (DeviceCookies) has a
 * budget of its own, so guesses from elsewhere can lock out only clients the account has never logged in from, and a
 * device cookie that fails 100 times is locked out by itself. Nothing is locked for good.
 *
 * Each kind of budget has its own capped map, so that nobody can evict someone else's counter by filling the map
 * (see ExpiringMap): account keys are real accounts only; device keys come only from cookies this app signed at a
 * successful login; names without an account, the one thing anyone can invent in bulk, share a map whose counters
 * protect no account. Those are counted at all only so that answers and delays do not tell which accounts exist.
 */
@Injectable()
export class AccountLoginThrottle {
  private readonly accounts: LoginBudget;
  private readonly devices: LoginBudget;
  private readonly unknownNames: LoginBudget;

  constructor(@Inject(CLOCK) clock: Clock) {
    this.accounts = new LoginBudget(clock);
    this.devices = new LoginBudget(clock);
    this.unknownNames = new LoginBudget(clock);
  }

  /** Runs `check` (the password verification) within the client's budget, or throws 429 without running it. */
  attempt(client: LoginClient, check: () => Promise<boolean>): Promise<boolean> {
    if ('unknownName' in client)
      return this.unknownNames.attempt(createHash('sha256').update(client.unknownName).digest('base64url'), check);
    if (client.deviceId) return this.devices.attempt(client.deviceId, check);
    return this.accounts.attempt(client.accountId, check);
  }
}
