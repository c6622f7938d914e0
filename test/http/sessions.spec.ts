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

  it('sets an HttpOnly, SameSite=Lax cookie for the whole site', async () => {
    const res = await new Browser(t.app).get('/login');
    const cookie = res.headers['set-cookie']![0];
    const attributes = cookie.split(';').map((a: string) => a.trim().toLowerCase());
    expect(cookie).toMatch(/^photosphere=/);
    expect(attributes).toEqual(expect.arrayContaining(['httponly', 'samesite=lax', 'path=/']));
    expect(attributes.some((a: string) => a.startsWith('domain='))).toBe(false);
  });

  it('keeps sessions in the database, with the user id and never a password', async () => {
    const browser = await loggedInBrowser(t.app, 'stored');
    await browser.get('/');
    const rows = await t.app.get(MikroORM).em.fork().find(Session, { userId: { $ne: null } });
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

    expect(await t.app.get(MikroORM).em.fork().count(Session, { sid: sidOf(uploaderCookie) })).toBe(0);
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

  it('uses a __Host- cookie that is Secure, HttpOnly, SameSite=Lax, Path=/ and has no Domain', async () => {
    const res = await request(t.app.getHttpServer()).get('/login').set('X-Forwarded-Proto', 'https');
    const cookie: string = res.headers['set-cookie']![0];
    const [nameValue, ...rest] = cookie.split(';').map((a) => a.trim());
    const attributes = rest.map((a) => a.toLowerCase());
    expect(nameValue).toMatch(/^__Host-photosphere=/);
    expect(attributes).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=lax', 'path=/']));
    expect(attributes.some((a) => a.startsWith('domain='))).toBe(false);
    expect(nameValue.length).toBeLessThan(4096);
  });
});
