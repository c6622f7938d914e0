import { MikroORM } from '@mikro-orm/core';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { PhotoUploadService } from '../../src/photos/photo-upload.service';
import { Session } from '../../src/sessions/session.entity';
import { Browser, login, loggedInBrowser, STRONG_PASSWORD } from '../support/browser';
import { jpeg } from '../support/images';
import { slowUpload } from '../support/slow-upload';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NEW_PASSWORD = 'Rainy Night!73';
const newPassword = { currentPassword: STRONG_PASSWORD, password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD };

/** The session id inside a signed session cookie (`photosphere=s:<sid>.<signature>`). */
const sidOf = (cookie: string) => /^s:([^.]+)\./.exec(decodeURIComponent(cookie.split('=')[1]))![1];

describe.each(backends())('sessions [%s]', (backend) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(backend);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('sets HttpOnly, SameSite=Lax cookies for the whole site: the session, the CSRF token and messages', async () => {
    const cookies = await siteCookies(t.app, {});
    expect(Object.keys(cookies).sort()).toEqual(['photosphere', 'photosphere-csrf', 'photosphere-flash']);
    for (const [name, attributes] of Object.entries(cookies)) {
      expect({ name, attributes }).toEqual({ name, attributes: expect.arrayContaining(['httponly', 'samesite=lax', 'path=/']) });
      expect({ name, domain: attributes.some((a) => a.startsWith('domain=')) }).toEqual({ name, domain: false });
    }
  });

  it('keeps sessions in the database, with the user id and never a password', async () => {
    const browser = await loggedInBrowser(t.app, 'stored');
    await browser.get('/');
    const rows = await t.app
      .get(MikroORM)
      .em.fork()
      .find(Session, { userId: { $ne: null } });
    const row = rows.find((r) => JSON.parse(r.data).passport?.user === r.userId);
    expect(row).toBeDefined();
    expect(row!.data).not.toMatch(/argon2|Sunny/);
  });

  it('survives a restart, and a second instance accepts the same cookie', async () => {
    const browser = await loggedInBrowser(t.app, 'restarted');
    const cookie = browser.sessionCookie()!;
    const second = await t.restart();
    const res = await request(second.getHttpServer()).get('/').set('Cookie', cookie).redirects(0);
    expect(res.status).toBe(200);
    expect(res.text).toContain('Your photos');
    expect(res.text).toContain('Logged in as </span>restarted');
  });

  it('logs out after 30 idle minutes, but not while the user is active', async () => {
    const browser = await loggedInBrowser(t.app, 'idler');
    for (let i = 0; i < 4; i++) {
      t.clock.advance(29 * MINUTE);
      expect((await browser.get('/')).status).toBe(200);
    }
    t.clock.advance(30 * MINUTE + 1000);
    const res = await browser.get('/');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/login');
  });

  it('logs out 12 hours after login even when always active', async () => {
    const browser = await loggedInBrowser(t.app, 'marathon');
    for (let elapsed = 0; elapsed < 12 * HOUR - 20 * MINUTE; elapsed += 20 * MINUTE) {
      t.clock.advance(20 * MINUTE);
      expect((await browser.get('/')).status).toBe(200);
    }
    t.clock.advance(21 * MINUTE);
    expect((await browser.get('/')).status).toBe(302);
  });

  it('still logs out 12 hours after login when the password was changed in between', async () => {
    const browser = await loggedInBrowser(t.app, 'rotator');
    for (let elapsed = 0; elapsed < 12 * HOUR - 20 * MINUTE; elapsed += 20 * MINUTE) {
      t.clock.advance(20 * MINUTE);
      if (elapsed === 6 * HOUR) expect((await browser.submit('/account/password', newPassword, { from: '/account' })).status).toBe(303);
      expect((await browser.get('/')).status).toBe(200);
    }
    t.clock.advance(21 * MINUTE);
    expect((await browser.get('/')).status).toBe(302);
  });
});

describe.each(backends())('a session ended on the server stays ended [%s]', (backend) => {
  let t: TestApp;
  let url: string;

  beforeAll(async () => {
    t = await createTestApp(backend);
    await t.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await t?.close();
  });

  /** Resolves when the next upload reaches its handler: its request has loaded the session and now reads the body. */
  function nextUploadStarted(): Promise<void> {
    const uploads = t.app.get(PhotoUploadService);
    const upload = uploads.upload.bind(uploads);
    return new Promise((resolve) => {
      jest.spyOn(uploads, 'upload').mockImplementationOnce((...args) => {
        resolve();
        return upload(...args);
      });
    });
  }

  const enders: Array<[string, (uploader: Browser, otherDevice: Browser) => Promise<{ status: number }>]> = [
    ['"Sign out everywhere"', (uploader) => uploader.submit('/account/sign-out-everywhere', {}, { from: '/account' })],
    ['a password change on another device', (_, otherDevice) => otherDevice.submit('/account/password', newPassword, { from: '/account' })],
  ];

  it.each(enders)('after %s, an upload that was in flight finishes without bringing its session back', async (_, end) => {
    const username = `slow${Math.random().toString(36).slice(2, 8)}`;
    const uploader = await loggedInBrowser(url, username);
    const otherDevice = new Browser(url);
    expect((await login(otherDevice, username)).status).toBe(303);
    const uploaderCookie = uploader.sessionCookie()!;

    const started = nextUploadStarted();
    const upload = slowUpload(url, uploader, { name: 'slow.jpg', data: await jpeg(800, 600, 5) }, { firstBytes: 512 });
    await started;
    expect((await end(uploader, otherDevice)).status).toBe(303);
    await upload.finish();
    expect((await upload.response).status).toBe(303);

    expect(
      await t.app
        .get(MikroORM)
        .em.fork()
        .count(Session, { sid: sidOf(uploaderCookie) }),
    ).toBe(0);
    const replay = await request(url).get('/').set('Cookie', uploaderCookie).redirects(0);
    expect(replay.status).toBe(302);
    expect(replay.headers.location).toBe('/login');
  });
});

describe('sessions in production', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp('sqlite', {
      env: { NODE_ENV: 'production', SESSION_SECRET: 'a-production-secret-of-at-least-32-chars', TRUST_PROXY: 'loopback' },
    });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('uses __Host- cookies that are Secure, HttpOnly, SameSite=Lax, Path=/ and have no Domain', async () => {
    const cookies = await siteCookies(t.app, { 'X-Forwarded-Proto': 'https' });
    expect(Object.keys(cookies).sort()).toEqual(['__Host-photosphere', '__Host-photosphere-csrf', '__Host-photosphere-flash']);
    for (const [name, attributes] of Object.entries(cookies)) {
      expect({ name, attributes }).toEqual({ name, attributes: expect.arrayContaining(['secure', 'httponly', 'samesite=lax', 'path=/']) });
      expect({ name, domain: attributes.some((a) => a.startsWith('domain=')) }).toEqual({ name, domain: false });
    }
  });
});

/**
 * Every cookie the site sets, by name, with its attributes (lower case): the CSRF cookie of a visitor's first form
 * page, the message cookie after registering, and the session cookie once there is something to remember (here a
 * reset token taken out of the URL).
 */
async function siteCookies(app: TestApp['app'], headers: Record<string, string>): Promise<Record<string, string[]>> {
  const server = request(app.getHttpServer());
  const setCookies = (res: request.Response) => ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const form = await server.get('/register').set(headers);
  const csrfCookie = setCookies(form)[0].split(';')[0];
  const token = /<meta name="csrf-token" content="([^"]+)">/.exec(form.text)![1];
  const registered = await server
    .post('/register')
    .set(headers)
    .set('Cookie', csrfCookie)
    .type('form')
    .send({ _csrf: token, username: `c${Date.now()}`, email: `c${Date.now()}@example.com`, password: STRONG_PASSWORD });
  expect(registered.status).toBe(303);
  const resetLink = await server.get(`/reset-password/${'x'.repeat(43)}`).set(headers);
  const cookies: Record<string, string[]> = {};
  for (const cookie of [...setCookies(form), ...setCookies(registered), ...setCookies(resetLink)]) {
    const [nameValue, ...attributes] = cookie.split(';').map((a) => a.trim());
    expect(nameValue.length).toBeLessThan(4096);
    cookies[nameValue.split('=')[0]] = attributes.map((a) => a.toLowerCase());
  }
  return cookies;
}
