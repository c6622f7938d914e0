import { AccountLoginThrottle } from '../../src/auth/account-login-throttle';
import { MAX_ATTEMPTS_AT_ONCE, MAX_FAILURES_PER_HOUR } from '../../src/auth/login-budget';
import { TooManyRequestsException } from '../../src/common/throttle/too-many-requests.exception';
import { FakeClock } from '../support/fake-clock';

const HOUR = 3_600_000;
const wrong = async () => false;
const right = async () => true;

describe(AccountLoginThrottle.name, () => {
  let clock: FakeClock;
  let throttle: AccountLoginThrottle;

  beforeEach(() => {
    clock = new FakeClock();
    throttle = new AccountLoginThrottle(clock);
  });

  async function failTimes(client: Parameters<AccountLoginThrottle['attempt']>[0], times: number) {
    for (let i = 0; i < times; i++) expect(await throttle.attempt(client, wrong)).toBe(false);
  }

  it('locks out only clients without a device cookie for the account, and each device cookie on its own', async () => {
    const untrusted = { accountId: 'victim' };
    const stolenDevice = { accountId: 'victim', deviceId: 'stolen' };
    await failTimes(untrusted, MAX_FAILURES_PER_HOUR);
    await expect(throttle.attempt(untrusted, right)).rejects.toThrow('Too many failed logins for this account.');
    expect(await throttle.attempt({ accountId: 'victim', deviceId: 'home' }, right)).toBe(true);

    await failTimes(stolenDevice, MAX_FAILURES_PER_HOUR);
    await expect(throttle.attempt(stolenDevice, right)).rejects.toThrow(TooManyRequestsException);
    expect(await throttle.attempt({ accountId: 'victim', deviceId: 'home' }, right)).toBe(true);
    clock.advance(HOUR);
    expect(await throttle.attempt(untrusted, right)).toBe(true);
  });

  it('runs at most 2 attempts of a key at once and refuses more at once, without checking them', async () => {
    const client = { accountId: 'victim' };
    let answer!: (valid: boolean) => void;
    const pending = new Promise<boolean>((resolve) => (answer = resolve));
    const running = Array.from({ length: MAX_ATTEMPTS_AT_ONCE }, () => throttle.attempt(client, () => pending));
    let checked = false;
    await expect(
      throttle.attempt(client, async () => {
        checked = true;
        return true;
      }),
    ).rejects.toThrow('Too many logins to this account at once.');
    expect(checked).toBe(false);
    expect(await throttle.attempt({ accountId: 'someone else' }, right)).toBe(true);
    answer(false);
    expect(await Promise.all(running)).toEqual([false, false]);
    expect(await throttle.attempt(client, wrong)).toBe(false);
  });

  it('waits the delay before the check, so a waiting attempt holds no hash slot', async () => {
    const client = { accountId: 'victim' };
    await failTimes(client, 5);
    clock.holdSleeps();
    let checks = 0;
    const waiting = throttle.attempt(client, async () => {
      checks++;
      return false;
    });
    expect(clock.sleeping).toBe(1);
    expect(checks).toBe(0);
    clock.advance(100);
    expect(await waiting).toBe(false);
    expect(checks).toBe(1);
    expect(clock.slept).toEqual([100]);
  });

  it('gives a successful attempt its count back', async () => {
    const client = { accountId: 'typist' };
    await failTimes(client, 4);
    for (let i = 0; i < 10; i++) expect(await throttle.attempt(client, right)).toBe(true);
    expect(clock.slept).toEqual([]);
  });

  it('keeps an account locked however many names without an account are sprayed', async () => {
    await failTimes({ accountId: 'victim' }, MAX_FAILURES_PER_HOUR);
    for (let i = 0; i < 100_001; i++) await throttle.attempt({ unknownName: `sprayed-${i}` }, wrong);
    await expect(throttle.attempt({ accountId: 'victim' }, right)).rejects.toThrow('Too many failed logins for this account.');
  });
});
