import request from 'supertest';
import { Browser, register, STRONG_PASSWORD } from '../support/browser';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NEW_PASSWORD = 'Rainy Night!73';
const newPassword = { currentPassword: STRONG_PASSWORD, password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD };

/** How long the session cookie set by `res` lives (ms from the response's Date), or undefined for a browser-session cookie. */
function sessionCookieLifetime(res: request.Response): number | undefined {
  const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => /^photosphere=/.test(c));
  if (!cookie) throw new Error('no session cookie set');
  const maxAge = /;\s*max-age=(\d+)/i.exec(cookie)?.[1];
  if (maxAge) return Number(maxAge) * 1000;
  const expires = /;\s*expires=([^;]+)/i.exec(cookie)?.[1];
  return expires ? Date.parse(expires) - Date.parse(res.headers.date) : undefined;
}

describe.each(backends())('keep me logged in [%s]', (backend) => {
  let t: TestApp;
  let users = 0;

  beforeAll(async () => {
    t = await createTestApp(backend);
  });

  afterAll(async () => {
    await t?.close();
  });

  /** A new account, logged in on a new browser, with "Keep me logged in" ticked or not; on its gallery. */
  async function loggedIn(remember: boolean, username = `keeper${++users}`) {
    const browser = new Browser(t.app);
    expect((await register(browser, { username, email: `${username}@example.com` })).status).toBe(303);
    return { browser, username, login: await logIn(browser, username, remember) };
  }

  async function logIn(browser: Browser, username: string, remember: boolean, password = STRONG_PASSWORD) {
    const res = await browser.submit(
      '/login',
      { identifier: username, password, ...(remember ? { remember: 'on' } : {}) },
      { from: '/login' },
    );
    expect(res.status).toBe(303);
    await browser.get('/');
    return res;
  }

  /** A second browser holding a copy of `browser`'s session cookie. */
  function copyOf(browser: Browser): Browser {
    const copy = new Browser(t.app);
    copy.useSession(browser.sessionCookie()!);
    return copy;
  }

  it('offers "Keep me logged in" on the login page', async () => {
    const page = await new Browser(t.app).get('/login');
    expect(page.text).toMatch(/<input class="form-check-input" type="checkbox" id="remember" name="remember" value="on">/);
    expect(page.text).toContain('<label class="form-check-label" for="remember">Keep me logged in</label>');
  });

  it('keeps the box ticked when the password was wrong', async () => {
    const browser = new Browser(t.app);
    const res = await browser.submit('/login', { identifier: 'nobody', password: 'wrong', remember: 'on' }, { from: '/login' });
    expect(res.status).toBe(401);
    expect(res.text).toContain('name="remember" value="on" checked>');
  });

  it('gives a 30-day cookie when ticked, renewed on every visit; unticked, the 30-minute idle cookie of before', async () => {
    const remembered = await loggedIn(true);
    expect(sessionCookieLifetime(remembered.login)).toBeGreaterThan(30 * DAY - MINUTE);
    // Expires and Date are whole seconds, taken a moment apart: the lifetime read from them can be a second long.
    expect(sessionCookieLifetime(remembered.login)).toBeLessThanOrEqual(30 * DAY + SECOND);
    expect(sessionCookieLifetime(await remembered.browser.get('/account'))).toBeGreaterThan(30 * DAY - MINUTE);

    const plain = await loggedIn(false);
    expect(sessionCookieLifetime(plain.login)).toBeGreaterThan(30 * MINUTE - MINUTE);
    expect(sessionCookieLifetime(plain.login)).toBeLessThanOrEqual(30 * MINUTE + SECOND);
    expect(sessionCookieLifetime(await plain.browser.get('/account'))).toBeLessThanOrEqual(30 * MINUTE);
  });

  it('outlives the idle timeout and the 12-hour limit, and ends 30 days after login', async () => {
    const { browser } = await loggedIn(true);
    const plain = await loggedIn(false);
    t.clock.advance(2 * HOUR);
    expect((await plain.browser.get('/')).status).toBe(302);
    expect((await browser.get('/')).status).toBe(200);
    t.clock.advance(3 * DAY);
    expect((await browser.get('/')).status).toBe(200);
    t.clock.advance(27 * DAY - 2 * HOUR - MINUTE);
    expect((await browser.get('/')).status).toBe(200);
    t.clock.advance(2 * MINUTE);
    const res = await browser.get('/');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/login');
  });

  it('is ended by logout', async () => {
    const { browser } = await loggedIn(true);
    const copy = copyOf(browser);
    expect((await copy.get('/')).status).toBe(200);
    expect((await browser.submit('/logout', {})).status).toBe(303);
    expect((await copy.get('/')).status).toBe(302);
  });

  it('is ended by "Sign out everywhere", on this device and every other', async () => {
    const { browser, username } = await loggedIn(true);
    const otherDevice = new Browser(t.app);
    await logIn(otherDevice, username, true);
    const copy = copyOf(browser);
    expect((await otherDevice.submit('/account/sign-out-everywhere', {}, { from: '/account' })).status).toBe(303);
    expect((await copy.get('/')).status).toBe(302);
    expect((await otherDevice.get('/')).status).toBe(302);
  });

  it('is ended by a password change on another device; the device that changed it stays remembered', async () => {
    const { browser, username } = await loggedIn(true);
    const changer = new Browser(t.app);
    await logIn(changer, username, true);
    const changed = await changer.submit('/account/password', newPassword, { from: '/account' });
    expect(changed.status).toBe(303);
    expect(sessionCookieLifetime(changed)).toBeGreaterThan(30 * DAY - MINUTE);
    expect((await browser.get('/')).status).toBe(302);
    t.clock.advance(2 * DAY);
    expect((await changer.get('/')).status).toBe(200);
  });
});

describe.each(backends())('the CSRF token endpoint [%s]', (backend) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(backend);
  });

  afterAll(async () => {
    await t?.close();
  });

  it("gives a logged-in page its session's token, never cached", async () => {
    const browser = new Browser(t.app);
    await register(browser, { username: 'tokened', email: 'tokened@example.com' });
    await browser.submit('/login', { identifier: 'tokened', password: STRONG_PASSWORD }, { from: '/login' });
    await browser.get('/');
    const res = await browser.agent.get('/csrf-token').set('Sec-Fetch-Site', 'same-origin');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ token: browser.csrfToken, loggedIn: true });
  });

  it('gives a visitor a token (and its cookie) that a login through fetch accepts; the new session has a new one', async () => {
    const browser = new Browser(t.app);
    await register(browser, { username: 'refetched', email: 'refetched@example.com' });
    const visitor = await browser.agent.get('/csrf-token');
    expect(visitor.body).toEqual({ token: expect.stringMatching(/^[\w-]{43}$/), loggedIn: false });
    const login = await browser.agent
      .post('/login')
      .type('form')
      .redirects(0)
      .send({ _csrf: visitor.body.token, identifier: 'refetched', password: STRONG_PASSWORD });
    expect(login.status).toBe(303);
    const fresh = await browser.agent.get('/csrf-token');
    expect(fresh.body).toEqual({ token: expect.stringMatching(/^[\w-]{43}$/), loggedIn: true });
    expect(fresh.body.token).not.toBe(visitor.body.token);
    const used = await browser.agent.post('/account/sign-out-everywhere').set('X-CSRF-Token', fresh.body.token).redirects(0);
    expect(used.status).toBe(303);
  });

  it('is not for other sites: refused when the browser says the request is cross-site, and no CORS', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const res = await request(t.app.getHttpServer()).get('/csrf-token').set({ 'Sec-Fetch-Site': site, Origin: 'https://evil.example' });
      expect({ site, status: res.status, token: res.body.token }).toEqual({ site, status: 403, token: undefined });
    }
    const res = await request(t.app.getHttpServer()).get('/csrf-token').set('Origin', 'https://evil.example');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
  });
});
