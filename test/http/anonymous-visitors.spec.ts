import { MikroORM } from '@mikro-orm/core';
import { SIGNED_OUT_EVERYWHERE } from '../../src/account/account.controller';
import { LOGIN_FAILED } from '../../src/auth/auth.controller';
import { REGISTERED } from '../../src/registration/registration.controller';
import { PASSWORD_RESET_DONE, RESET_REQUESTED } from '../../src/auth/password-reset/password-reset.controller';
import { PasswordResetService } from '../../src/auth/password-reset/password-reset.service';
import { Session } from '../../src/sessions/session.entity';
import { User } from '../../src/users/user.entity';
import { Browser, loggedInBrowser, login, register, STRONG_PASSWORD } from '../support/browser';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';
import { decodeEntities } from '../support/uploads';

/** What an anonymous visitor can open: the form pages, a page that needs a login, a 404, an image, a health check. */
const PAGES = [
  '/login',
  '/register',
  '/forgot-password',
  '/reset-password',
  '/login?next=%2Faccount',
  '/',
  '/account',
  '/no-such-page',
  '/photos/00000000-0000-4000-8000-000000000000/thumbnail',
  '/healthz',
];
const ROUNDS = 15;

/** The anonymous forms, sent as a plain form post (JavaScript off) or as htmx sends them (token in the header only). */
type Post = (
  browser: Browser,
  path: string,
  fields: Record<string, string>,
) => Promise<{ status: number; text: string; headers: Record<string, string> }>;
const ways: Array<[string, Post]> = [
  ['a plain form post', (browser, path, fields) => browser.submit(path, fields, { from: path })],
  [
    'htmx',
    async (browser, path, fields) => {
      await browser.get(path);
      return browser.agent
        .post(path)
        .type('form')
        .set({ 'HX-Request': 'true', 'X-CSRF-Token': browser.csrfToken! })
        .send(fields)
        .redirects(0);
    },
  ],
];

describe.each(backends())('anonymous visitors write nothing [%s]', (backend) => {
  let t: TestApp;
  const sessionRows = () => t.app.get(MikroORM).em.fork().count(Session);

  beforeAll(async () => {
    t = await createTestApp(backend);
  });

  afterAll(async () => {
    await t?.close();
  });

  it(`${ROUNDS * PAGES.length * 2} anonymous page views (forms, 404s, pages that need a login) store no session`, async () => {
    const returning = new Browser(t.app);
    for (let round = 0; round < ROUNDS; round++) {
      for (const path of PAGES) {
        for (const browser of [returning, new Browser(t.app)]) {
          const res = await browser.get(path);
          expect({ path, answered: res.status < 500 }).toEqual({ path, answered: true });
        }
      }
    }
    expect(returning.csrfToken).toBeDefined();
    expect(await sessionRows()).toBe(0);
  }, 120_000);

  it.each(ways)(
    'register, a failed login, forgot and reset work through %s and store no session; a login stores one',
    async (way, post) => {
      const name = way === 'htmx' ? 'htmxvisitor' : 'plainvisitor';
      const browser = new Browser(t.app);
      const before = await sessionRows();

      const registered = await post(browser, '/register', { username: name, email: `${name}@example.com`, password: STRONG_PASSWORD });
      expect(registered.status).toBe(303);
      expect(registered.headers.location).toBe('/login');
      expect(decodeEntities((await browser.get('/login')).text)).toContain(REGISTERED);
      expect(decodeEntities((await browser.get('/login')).text)).not.toContain(REGISTERED); // shown once

      const failed = await post(browser, '/login', { identifier: name, password: 'Wrong Password!1' });
      expect(failed.status).toBe(401);
      expect(failed.text).toContain(LOGIN_FAILED);
      const forgot = await post(browser, '/forgot-password', { email: `${name}@example.com` });
      expect(forgot.status).toBe(200);
      expect(decodeEntities(forgot.text)).toContain(RESET_REQUESTED);
      const reset = await post(browser, '/reset-password', { password: 'Another Day!42', confirmPassword: 'Another Day!42' });
      expect(reset.text).toContain('Link not valid');
      expect(await sessionRows()).toBe(before);

      const loggedIn = await post(browser, '/login', { identifier: name, password: STRONG_PASSWORD });
      expect(loggedIn.status).toBe(303);
      expect((await browser.get('/')).text).toContain(`Logged in as </span>${name}`);
      expect(await sessionRows()).toBe(before + 1);
    },
  );

  it('a visitor who follows a reset link has a session: the token is taken out of the URL into it', async () => {
    const before = await sessionRows();
    const res = await new Browser(t.app).get(`/reset-password/${'x'.repeat(43)}`);
    expect(res.status).toBe(302);
    expect(await sessionRows()).toBe(before + 1);
  });

  it('a session ended on the server leaves none behind for the message that follows (sign out everywhere, reset)', async () => {
    const browser = await loggedInBrowser(t.app, 'leaver');
    const before = await sessionRows();
    expect((await browser.submit('/account/sign-out-everywhere', {}, { from: '/account' })).status).toBe(303);
    expect(decodeEntities((await browser.get('/login')).text)).toContain(SIGNED_OUT_EVERYWHERE);
    expect(await sessionRows()).toBe(before - 1);

    const user = await t.app.get(MikroORM).em.fork().findOneOrFail(User, { usernameKey: 'leaver' });
    const link = await t.app.get(PasswordResetService).issueLink(user);
    await browser.get(new URL(link).pathname); // the link's token goes into a session
    expect(await sessionRows()).toBe(before);
    const reset = await browser.submit(
      '/reset-password',
      { password: 'Another Day!42', confirmPassword: 'Another Day!42' },
      { from: '/reset-password' },
    );
    expect(reset.status).toBe(303);
    expect(decodeEntities((await browser.get('/login')).text)).toContain(PASSWORD_RESET_DONE);
    expect(await sessionRows()).toBe(before - 1);
  });

  it('refuses an anonymous form whose token does not belong to its cookie', async () => {
    const attacker = new Browser(t.app);
    await attacker.get('/login');
    const victim = new Browser(t.app);
    await victim.get('/login');
    for (const headers of [{}, { 'HX-Request': 'true', 'X-CSRF-Token': attacker.csrfToken! }]) {
      const res = await victim.agent
        .post('/login')
        .type('form')
        .set(headers)
        .send({ _csrf: attacker.csrfToken, identifier: 'someone', password: STRONG_PASSWORD })
        .redirects(0);
      expect(res.status).toBe(403);
    }
    // Without the cookie the token is worth nothing either.
    const cookieless = await new Browser(t.app).agent
      .post('/login')
      .type('form')
      .send({ _csrf: victim.csrfToken, identifier: 'someone', password: STRONG_PASSWORD })
      .redirects(0);
    expect(cookieless.status).toBe(403);
  });

  it('a returning visitor keeps one token across pages; another visitor gets another', async () => {
    const first = new Browser(t.app);
    await first.get('/login');
    const token = first.csrfToken;
    await first.get('/register');
    expect(first.csrfToken).toBe(token);
    const second = new Browser(t.app);
    await second.get('/login');
    expect(second.csrfToken).not.toBe(token);
    expect((await login(first, 'nobody', 'Wrong Password!1')).status).toBe(401);
    expect((await register(second, { username: 'second', email: 'second@example.com' })).status).toBe(303);
  });
});
