import { MikroORM } from '@mikro-orm/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Invitation } from '../../src/registration/invitation.entity';
import { User } from '../../src/users/user.entity';
import { Browser, loggedInBrowser, login, register } from '../support/browser';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';
import { decodeEntities } from '../support/uploads';

const INVITE_ONLY = 'Registration is by invitation only. Ask an administrator of this Photosphere for an invitation link.';
const CLOSED = 'Registration is closed. Ask an administrator of this Photosphere to create an account for you.';
const INVITATION_INVALID = 'This invitation link has expired or has already been used. Ask an administrator for a new one.';
const DAY = 24 * 3_600_000;

describe.each(backends())('registration modes and invitations [%s]', (backend) => {
  let t: TestApp;
  let second: NestExpressApplication;
  let admin: Browser;
  let n = 0;
  const em = () => t.app.get(MikroORM).em.fork();
  const exists = async (username: string) => (await em().count(User, { usernameKey: username })) > 0;
  const html = (text: string) => decodeEntities(text);
  const setMode = (mode: string) => admin.submit('/admin/settings/registration', { mode }, { from: '/admin/settings' });
  const newcomer = (app: NestExpressApplication = t.app) => {
    const username = `newcomer${++n}`;
    return { browser: new Browser(app), username, email: `${username}@example.com` };
  };
  const invite = async (days = '7') => {
    const res = await admin.submit('/admin/invitations', { days }, { from: '/admin/settings' });
    expect(res.status).toBe(201);
    return new URL(/value="(http[^"]+\/invite\/[^"]+)"/.exec(res.text)![1]).pathname;
  };

  beforeAll(async () => {
    t = await createTestApp(backend);
    second = await t.restart();
    admin = await loggedInBrowser(t.app, 'keeper');
  });

  afterAll(async () => {
    await t?.close();
  });

  it('is open by default', async () => {
    const { browser, username, email } = newcomer();
    expect((await register(browser, { username, email })).status).toBe(303);
    expect(await exists(username)).toBe(true);
  });

  it('closed: refuses /register on both instances at once, page and post alike', async () => {
    expect((await setMode('closed')).status).toBe(303);
    expect(html((await admin.get('/admin/settings')).text)).toContain('Registration is now closed.');
    for (const app of [t.app, second]) {
      const { browser, username, email } = newcomer(app);
      const page = await browser.get('/register');
      expect(page.status).toBe(200);
      expect(html(page.text)).toContain(CLOSED);
      expect(page.text).not.toContain('name="password"');
      const res = await register(browser, { username, email });
      expect(res.status).toBe(403);
      expect(html(res.text)).toContain(CLOSED);
      expect(await exists(username)).toBe(false);
    }
  });

  it('open again: the other instance takes it at its next request', async () => {
    await setMode('open');
    const { browser, username, email } = newcomer(second);
    expect((await register(browser, { username, email })).status).toBe(303);
  });

  it('invite only: no registration without a link; a link works once, on any instance', async () => {
    await setMode('invite');
    const stranger = newcomer();
    expect(html((await stranger.browser.get('/register')).text)).toContain(INVITE_ONLY);
    expect((await register(stranger.browser, { username: stranger.username, email: stranger.email })).status).toBe(403);
    expect(await exists(stranger.username)).toBe(false);

    const link = await invite();
    const token = link.split('/').pop()!;
    const stored = await em().getConnection().execute('select * from invitations');
    expect(stored.length).toBeGreaterThan(0);
    expect(JSON.stringify(stored)).not.toContain(token);

    const guest = newcomer(second);
    const opened = await guest.browser.get(link);
    expect(opened.status).toBe(302);
    expect(opened.headers.location).toBe('/register');
    expect(html((await guest.browser.get('/register')).text)).toContain('You have been invited.');
    expect((await register(guest.browser, { username: guest.username, email: guest.email })).status).toBe(303);
    expect(await exists(guest.username)).toBe(true);
    expect((await login(guest.browser, guest.username)).status).toBe(303);
    expect(html((await admin.get('/admin/settings')).text)).toContain(`Used by ${guest.username}`);

    const latecomer = newcomer();
    await latecomer.browser.get(link);
    expect(html((await latecomer.browser.get('/register')).text)).toContain(INVITATION_INVALID);
    expect((await register(latecomer.browser, { username: latecomer.username, email: latecomer.email })).status).toBe(403);
    expect(await exists(latecomer.username)).toBe(false);
  });

  it('invite only: two people racing with one link, exactly one gets in', async () => {
    const link = await invite();
    const racers = [newcomer(), newcomer(second)];
    for (const racer of racers) await racer.browser.get(link);
    const results = await Promise.all(racers.map((racer) => register(racer.browser, { username: racer.username, email: racer.email })));
    expect(results.map((res) => res.status).sort()).toEqual([303, 403]);
    expect((await Promise.all(racers.map((racer) => exists(racer.username)))).filter(Boolean)).toHaveLength(1);
  });

  it('invite only: a link stops working at its expiry, and a revoked one at once', async () => {
    const link = await invite('1');
    t.clock.advance(DAY);
    const onTime = newcomer();
    await onTime.browser.get(link);
    expect(html((await onTime.browser.get('/register')).text)).toContain('You have been invited.');
    t.clock.advance(1);
    expect((await register(onTime.browser, { username: onTime.username, email: onTime.email })).status).toBe(403);
    expect(await exists(onTime.username)).toBe(false);

    // A day has passed: the admin's session has ended too.
    admin = new Browser(t.app);
    expect((await login(admin, 'keeper')).status).toBe(303);
    await admin.get('/');
    const revokedLink = await invite();
    const pending = await em().findOneOrFail(Invitation, { usedAt: null, expiresAt: { $gt: t.clock.now() } });
    const revoked = await admin.submit(`/admin/invitations/${pending.id}/revoke`, {}, { from: '/admin/settings' });
    expect(revoked.status).toBe(303);
    const late = newcomer();
    await late.browser.get(revokedLink);
    expect(html((await late.browser.get('/register')).text)).toContain(INVITATION_INVALID);
  });

  it('refuses an unknown mode and keeps the current one', async () => {
    const res = await setMode('everyone');
    expect(res.status).toBe(303);
    expect(html((await admin.get('/admin/settings')).text)).toContain('Choose one of the registration modes.');
    expect(html((await new Browser(t.app).get('/register')).text)).toContain(INVITE_ONLY);
  });
});
