import type { Response } from 'supertest';
import { STAY_ON_PAGE_HEADER, WELCOME_BACK } from '../../src/auth/auth.controller';
import { PasswordHasher } from '../../src/users/password-hasher';
import { Browser, loggedInBrowser, login, register, STRONG_PASSWORD } from '../support/browser';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';

const MINUTE = 60_000;
const LOCKED = 'Too many failed logins for this account.';
const DEVICE_COOKIE = (name: string) => name.endsWith('login-device');

/** Resolves `reached` once `condition` holds; `check` tests it again and is called on every event that can change it. */
function until(condition: () => boolean) {
  let check!: () => void;
  const reached = new Promise<void>((resolve) => (check = () => condition() && resolve()));
  return { reached, check };
}

const statusCounts = (responses: Response[]) =>
  responses.reduce<Record<number, number>>((counts, res) => ({ ...counts, [res.status]: (counts[res.status] ?? 0) + 1 }), {});

describe.each(backends())('login limits [%s]', (backend) => {
  let t: TestApp;
  /** Passwords whose argon2 verification started, and finished, in order. */
  const verifying: string[] = [];
  const verified: string[] = [];
  /** Called when a verification or a held sleep starts. */
  let onEvent = () => {};

  beforeAll(async () => {
    t = await createTestApp(backend);
    const hasher = t.app.get(PasswordHasher);
    const verify = hasher.verify.bind(hasher);
    jest.spyOn(hasher, 'verify').mockImplementation(async (hash, password) => {
      verifying.push(password);
      onEvent();
      try {
        return await verify(hash, password);
      } finally {
        verified.push(password);
      }
    });
    t.clock.onSleep(() => onEvent());
  });

  afterAll(async () => {
    await t?.close();
  });

  it('refuses the 11th login from one address before checking the password, and logs nobody in', async () => {
    await register(new Browser(t.app), { username: 'eleventh', email: 'eleventh@example.com' });
    const browser = new Browser(t.app);
    for (let i = 0; i < 10; i++) expect((await login(browser, 'eleventh', `Wrong Pass#${i}`)).status).toBe(401);
    const checked = verifying.length;

    const refused = await login(browser, 'eleventh', STRONG_PASSWORD);
    expect(refused.status).toBe(429);
    expect(verifying.length).toBe(checked);
    expect((await browser.get('/')).headers.location).toBe('/login');
    const cookies = ([] as string[]).concat(refused.headers['set-cookie'] ?? []);
    for (const cookie of cookies) {
      const replay = new Browser(t.app);
      replay.setCookie(cookie.split(';')[0]);
      expect((await replay.get('/')).headers.location).toBe('/login');
    }
  });

  it('queues no welcome for a login that stays on its page (the upload panel’s session modal)', async () => {
    const browser = await loggedInBrowser(t.app, 'stayer');
    await browser.submit('/logout', {});
    const res = await browser.submit(
      '/login',
      { identifier: 'stayer', password: STRONG_PASSWORD },
      { from: '/login', headers: { [STAY_ON_PAGE_HEADER]: '1' } },
    );
    expect([res.status, res.headers.location]).toEqual([303, '/']);
    const home = await browser.get('/');
    expect(home.status).toBe(200);
    expect(home.text).not.toContain(WELCOME_BACK);
  });

  it('greets a new user on their first login, and welcomes them back after that', async () => {
    const browser = new Browser(t.app);
    await register(browser, { username: 'Newcomer', email: 'newcomer@example.com' });
    expect((await login(browser, 'newcomer')).status).toBe(303);
    const first = await browser.get('/');
    expect(first.text).toContain('Welcome to Photosphere, Newcomer!');
    expect(first.text).not.toContain('Welcome back!');
    await browser.submit('/logout', {});
    expect((await login(browser, 'newcomer')).status).toBe(303);
    const second = await browser.get('/');
    expect(second.text).toContain('Welcome back!');
    expect(second.text).not.toContain('Welcome to Photosphere');
  });

  describe('one account under attack from many addresses', () => {
    const isGuess = (password: string) => password.startsWith('Guess ');
    /** The victim's own browser: it has logged in before, so it holds a device cookie for the account. */
    let home: Browser;
    let bystanderBrowser: Browser;

    beforeAll(async () => {
      home = new Browser(t.app);
      await register(home, { username: 'victim', email: 'victim@example.com' });
      await register(new Browser(t.app), { username: 'bystander', email: 'bystander@example.com' });
      expect((await login(home, 'victim')).status).toBe(303);
      expect(home.cookie(DEVICE_COOKIE)).toBeDefined();
      await home.get('/');
      expect((await home.submit('/logout', {})).status).toBe(303);
    });

    /** Every burst's answers, so that a failed test still lets its requests finish before the app closes. */
    const bursts: Array<Promise<unknown>> = [];

    afterEach(async () => {
      t.clock.holdSleeps(false);
      if (t.clock.sleeping > 0) t.clock.advance(MINUTE);
      await Promise.allSettled(bursts);
      onEvent = () => {};
    });

    /**
     * Sends 150 guesses at once from 15 new addresses and returns once `settled(refused)` holds (checked on every
     * answer, argon2 verification and held sleep); `answers` resolves when all 150 are answered.
     */
    async function burst(from: number, settled: (refused: number) => boolean) {
      const attackers = Array.from({ length: 15 }, () => new Browser(t.app));
      for (const attacker of attackers) await attacker.get('/login');
      let refused = 0;
      const settle = until(() => settled(refused));
      onEvent = settle.check;
      const answers = Array.from({ length: 150 }, (_, i) =>
        attackers[i % 15].submit('/login', { identifier: 'victim', password: `Guess ${from + i}!` }).then((res) => {
          if (res.status === 429) refused++;
          settle.check();
          return res;
        }),
      );
      bursts.push(...answers);
      await settle.reached;
      return { answers: Promise.all(answers) };
    }

    const guessesChecked = () => verifying.filter(isGuess).length;

    it('lets 2 guesses of a 150-guess burst run at once, so another account logs in behind no more than 2 of them', async () => {
      t.clock.holdSleeps();
      // Settled when every guess is answered, waits out its delay on the clock, or has reached argon2.
      const { answers } = await burst(0, (refused) => refused + guessesChecked() + t.clock.sleeping === 150);
      let guessesAhead = -1;
      onEvent = () => {
        if (verifying.at(-1) === STRONG_PASSWORD) guessesAhead = guessesChecked() - verified.filter(isGuess).length;
      };
      bystanderBrowser = new Browser(t.app);
      expect((await login(bystanderBrowser, 'bystander')).status).toBe(303);
      expect(guessesAhead).toBeGreaterThanOrEqual(0);
      expect(guessesAhead).toBeLessThanOrEqual(2);

      t.clock.holdSleeps(false);
      t.clock.advance(MINUTE);
      const responses = await answers;
      // How many of the 5 undelayed guesses ran depends on how fast the 150 arrived; never more than 2 at once.
      const counts = statusCounts(responses);
      expect(counts[401]).toBe(guessesChecked());
      expect(counts[401]).toBeLessThanOrEqual(7);
      expect(counts[401] + counts[429]).toBe(150);
      expect(responses.find((res) => res.status === 429)!.text).toContain('Too many logins to this account at once.');
    }, 180_000);

    it('makes delayed guesses wait without holding a hash slot: another account logs in while they wait', async () => {
      for (let i = guessesChecked(); i < 5; i++) expect((await login(new Browser(t.app), 'victim', `Guess ${i}!`)).status).toBe(401);
      const before = guessesChecked();
      t.clock.holdSleeps();
      const { answers } = await burst(200, (refused) => refused + guessesChecked() - before + t.clock.sleeping === 150);
      expect(t.clock.sleeping).toBe(2);
      expect((await login(new Browser(t.app), 'bystander')).status).toBe(303);
      expect(t.clock.sleeping).toBe(2);
      expect(guessesChecked()).toBe(before);

      t.clock.holdSleeps(false);
      t.clock.advance(MINUTE);
      expect(statusCounts(await answers)).toEqual({ 401: 2, 429: 148 });
      expect(guessesChecked()).toBe(before + 2);
    }, 180_000);

    it('checks no more than 100 guesses in the hour, however they come', async () => {
      for (let i = guessesChecked(); i < 100; i++)
        expect((await login(new Browser(t.app), 'victim', `Guess ${400 + i}!`)).status).toBe(401);
      const { answers } = await burst(600, (refused) => refused === 150);
      const responses = await answers;
      expect(statusCounts(responses)).toEqual({ 429: 150 });
      expect(responses[0].text).toContain(LOCKED);
      expect(guessesChecked()).toBe(100);
    }, 180_000);

    it('lets the account in from a browser that logged in before, and refuses every other client until the hour is over', async () => {
      const checked = verifying.length;
      const stranger = await login(new Browser(t.app), 'victim');
      expect(stranger.status).toBe(429);
      expect(stranger.text).toContain(LOCKED);
      expect(Number(stranger.headers['retry-after'])).toBeGreaterThan(0);
      const deviceCookie = home.cookie(DEVICE_COOKIE)!;
      const forged = new Browser(t.app);
      forged.setCookie(deviceCookie.slice(0, -2) + (deviceCookie.endsWith('AA') ? 'BB' : 'AA'));
      expect((await login(forged, 'victim')).status).toBe(429);
      const borrowed = new Browser(t.app);
      borrowed.setCookie(bystanderBrowser.cookie(DEVICE_COOKIE)!);
      expect((await login(borrowed, 'victim')).status).toBe(429);
      expect(verifying.length).toBe(checked);

      expect((await login(home, 'victim')).status).toBe(303);
      expect((await home.get('/')).text).toContain('Welcome back!');

      t.clock.advance(61 * MINUTE);
      expect((await login(new Browser(t.app), 'victim')).status).toBe(303);
    });
  });
});
