import { MikroORM } from '@mikro-orm/core';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import request, { Response } from 'supertest';
import { UsersService } from '../../src/users/users.service';
import { PasswordHasher } from '../../src/users/password-hasher';
import { PasswordReset } from '../../src/users/password-reset.entity';
import { PasswordResetLinks } from '../../src/users/password-reset-links';
import { retryDelayMs } from '../../src/jobs/job-workers';
import { hashToken } from '../../src/common/secret-token';
import { Mailer } from '../../src/mail/mailer';
import { Browser, login, loggedInBrowser, register, STRONG_PASSWORD } from '../support/browser';
import { CapturingLogger } from '../support/capturing-logger';
import { readOutbox, startSmtpServer, TestSmtpServer } from '../support/smtp';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';

const BASE_URL = 'https://photos.example.org';
const SENT = 'If an account exists for that email, we have sent a link to reset its password.';
const NEW_PASSWORD = 'Brand New Pass#7';
const MINUTE = 60_000;
const LINK = new RegExp(`${BASE_URL.replace(/\./g, '\\.')}/reset-password/([A-Za-z0-9_-]{43})`);

describe.each(backends())('forgot / reset password [%s]', (backend) => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  const logger = new CapturingLogger();
  let mailer: Mailer;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp(backend, { env: { SMTP_URL: smtp.url, BASE_URL, MAIL_FROM: 'Photosphere <photos@example.org>' }, logger });
    mailer = t.app.get(Mailer);
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  /** Asks for a link as `browser` and returns the token read from the email that arrived. */
  async function requestLink(browser: Browser, email: string, headers: Record<string, string> = {}): Promise<string> {
    const before = smtp.messages.length;
    const res = await browser.submit('/forgot-password', { email }, { from: '/forgot-password', headers });
    expect(res.status).toBe(200);
    await mailer.idle();
    const mail = smtp.messages.slice(before).find((m) => m.subject === 'Reset your Photosphere password');
    if (!mail) throw new Error('no reset email arrived');
    return LINK.exec(mail.text)![1];
  }

  /** Asks for a link as a new visitor; resolves once the answer has come and the work after it is done. */
  async function askForLink(email: string): Promise<void> {
    const res = await new Browser(t.app).submit('/forgot-password', { email }, { from: '/forgot-password' });
    expect(res.text).toContain(SENT);
    await mailer.idle();
  }

  const passwordWorks = async (identifier: string, password: string) =>
    (await login(new Browser(t.app), identifier, password)).status === 303;

  it('is linked from the login page', async () => {
    const page = await new Browser(t.app).get('/login');
    expect(page.text).toContain('href="/forgot-password"');
  });

  it('runs the whole flow: email, link, new password twice, log in', async () => {
    await register(new Browser(t.app), { username: 'forgetful', email: 'forgetful@example.com' });
    const browser = new Browser(t.app);
    const token = await requestLink(browser, 'Forgetful@Example.com');
    const mail = smtp.messages.find((m) => m.text.includes(token))!;
    expect(mail.to).toEqual(['forgetful@example.com']);
    expect(mail.html).toContain(`${BASE_URL}/reset-password/${token}`);

    const visit = await browser.get(`/reset-password/${token}`);
    expect(visit.status).toBe(302);
    expect(visit.headers.location).toBe('/reset-password');
    expect(visit.headers['referrer-policy']).toBe('no-referrer');
    const form = await browser.get('/reset-password');
    expect(form.status).toBe(200);
    expect(form.text).toContain('name="confirmPassword"');
    expect(form.text).not.toContain(token);

    const mismatch = await browser.submit('/reset-password', { password: NEW_PASSWORD, confirmPassword: 'Something Else#7' });
    expect(mismatch.status).toBe(422);
    expect(mismatch.text).toMatch(/id="confirmPassword-errors"[^>]*>\s*<div>The two passwords do not match\.<\/div>/);
    const weak = await browser.submit('/reset-password', { password: 'weakpass', confirmPassword: 'weakpass' });
    expect(weak.status).toBe(422);
    expect(weak.text).toContain('Password must contain at least one uppercase letter.');

    const done = await browser.submit('/reset-password', { password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe('/login');
    expect((await browser.get('/login')).text).toContain('Your password has been reset. Please log in.');
    expect((await browser.get('/')).status).toBe(302); // not logged in automatically
    await mailer.idle();
    expect(smtp.messages.some((m) => m.subject === 'Your Photosphere password was changed' && m.to[0] === 'forgetful@example.com')).toBe(
      true,
    );
    expect(await passwordWorks('forgetful', NEW_PASSWORD)).toBe(true);
    expect(await passwordWorks('forgetful', STRONG_PASSWORD)).toBe(false);
  });

  it('answers the same for known and unknown emails, byte for byte apart from the CSRF token, and mails only the known one', async () => {
    await register(new Browser(t.app), { username: 'known', email: 'known@example.com' });
    const unknownEmail = 'nobod@example.com'; // as long as the known one, so even Content-Length must match
    const mask = (html: string) => html.replace(/[A-Za-z0-9_-]{43}/g, 'TOKEN').replace(/value="[^"]*@example.com"/, 'value="EMAIL"');
    const perResponse = ['date', 'etag', 'set-cookie', 'x-request-id'];
    const headers = (res: Response) => Object.entries(res.headers).filter(([name]) => !perResponse.includes(name));
    const before = smtp.messages.length;
    const known = await new Browser(t.app).submit('/forgot-password', { email: 'known@example.com' }, { from: '/forgot-password' });
    const unknown = await new Browser(t.app).submit('/forgot-password', { email: unknownEmail }, { from: '/forgot-password' });
    expect(known.status).toBe(200);
    expect(unknown.status).toBe(200);
    expect(known.text).toContain(SENT);
    expect(mask(known.text)).toBe(mask(unknown.text));
    expect(headers(known)).toEqual(headers(unknown));
    await mailer.idle();
    expect(smtp.messages.slice(before).map((m) => m.to[0])).toEqual(['known@example.com']);
  });

  it('answers a known email without waiting for its link: a job issues and mails it', async () => {
    await register(new Browser(t.app), { username: 'early', email: 'early@example.com' });
    const links = t.app.get(PasswordResetLinks);
    const issue = links.issue.bind(links);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let committed = false;
    const spy = jest.spyOn(links, 'issue').mockImplementation(async (userId, withLink) => {
      await held;
      const token = await issue(userId, withLink);
      committed = true;
      return token;
    });
    try {
      const res = await new Browser(t.app).submit('/forgot-password', { email: 'early@example.com' }, { from: '/forgot-password' });
      expect(res.text).toContain(SENT);
      expect(committed).toBe(false);
      release();
      await mailer.idle();
    } finally {
      spy.mockRestore();
    }
    expect(committed).toBe(true);
    expect(smtp.messages.some((m) => m.to[0] === 'early@example.com')).toBe(true);
  });

  it('logs a failure to issue a link after the answer and tries again later, instead of losing it silently', async () => {
    await register(new Browser(t.app), { username: 'unlucky', email: 'unlucky@example.com' });
    const spy = jest.spyOn(t.app.get(PasswordResetLinks), 'issue').mockRejectedValueOnce(new Error('database went away'));
    try {
      await askForLink('unlucky@example.com');
    } finally {
      spy.mockRestore();
    }
    const entries = logger.lines.map((line) => JSON.parse(line)[0]);
    expect(entries).toContainEqual(
      expect.objectContaining({ msg: 'Job failed; it will be retried', type: 'password-reset.request', error: 'database went away' }),
    );
    expect(logger.text()).not.toContain('unlucky@example.com');
    expect(smtp.messages.some((m) => m.to[0] === 'unlucky@example.com')).toBe(false);

    t.clock.advance(retryDelayMs(1));
    await mailer.idle();
    expect(smtp.messages.some((m) => m.to[0] === 'unlucky@example.com')).toBe(true);
  });

  it('builds the link from BASE_URL, never from the Host header', async () => {
    await register(new Browser(t.app), { username: 'hosted', email: 'hosted@example.com' });
    await requestLink(new Browser(t.app), 'hosted@example.com', { Host: 'evil.example', 'X-Forwarded-Host': 'evil.example' });
    const mail = smtp.messages.filter((m) => m.to[0] === 'hosted@example.com').pop()!;
    expect(mail.text).toMatch(LINK);
    expect(mail.raw).not.toContain('evil.example');
  });

  it('stores only the SHA-256 of the token', async () => {
    await register(new Browser(t.app), { username: 'hashed', email: 'hashed@example.com' });
    const token = await requestLink(new Browser(t.app), 'hashed@example.com');
    const rows = await t.app.get(MikroORM).em.fork().find(PasswordReset, {});
    expect(rows.map((r) => r.tokenHash)).toContain(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('keeps a link valid at 30:00 and refuses it at 30:01, changing nothing', async () => {
    await register(new Browser(t.app), { username: 'timely', email: 'timely@example.com' });
    const onTime = new Browser(t.app);
    const token = await requestLink(onTime, 'timely@example.com');
    t.clock.advance(30 * MINUTE);
    await onTime.get(`/reset-password/${token}`);
    expect((await onTime.get('/reset-password')).text).toContain('name="confirmPassword"');

    const late = new Browser(t.app);
    const second = await requestLink(late, 'timely@example.com');
    await late.get(`/reset-password/${second}`);
    t.clock.advance(30 * MINUTE + 1000);
    const page = await late.get('/reset-password');
    expect(page.status).toBe(200);
    expect(page.text).toContain('This link does not work any more');
    const post = await late.submit('/reset-password', { password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD });
    expect(post.text).toContain('This link does not work any more');
    expect(await passwordWorks('timely', STRONG_PASSWORD)).toBe(true);
  });

  it('refuses used, tampered, superseded and password-changed links without changing anything', async () => {
    await register(new Browser(t.app), { username: 'careful', email: 'careful@example.com' });
    const tryLink = async (token: string, password: string) => {
      const browser = new Browser(t.app);
      await browser.get(`/reset-password/${token}`);
      const page = await browser.get('/reset-password');
      const post = await browser.submit('/reset-password', { password, confirmPassword: password });
      return {
        page: page.text.includes('This link does not work any more'),
        post: post.text.includes('This link does not work any more'),
        status: post.status,
      };
    };
    const invalid = { page: true, post: true, status: 200 };

    const first = await requestLink(new Browser(t.app), 'careful@example.com');
    const second = await requestLink(new Browser(t.app), 'careful@example.com');
    expect(await tryLink(first, 'Superseded Pass#1')).toEqual(invalid);
    const flipped = second.slice(0, -1) + (second.endsWith('A') ? 'B' : 'A');
    expect(await tryLink(flipped, 'Tampered Pass#1')).toEqual(invalid);
    expect(await tryLink(second, 'Used Once Pass#1')).toEqual({ page: false, post: false, status: 303 });
    expect(await tryLink(second, 'Used Twice Pass#1')).toEqual(invalid);

    const third = await requestLink(new Browser(t.app), 'careful@example.com');
    const user = (await t.app.get(MikroORM).em.fork().find(PasswordReset, {})).find(
      (r) => r.tokenHash === createHash('sha256').update(third).digest('hex'),
    )!;
    await t.app
      .get(UsersService)
      .changePassword(user.userId, { password: 'Changed In Settings#1', confirmPassword: 'Changed In Settings#1' });
    expect(await tryLink(third, 'After Change Pass#1')).toEqual(invalid);
    expect(await passwordWorks('careful', 'Changed In Settings#1')).toBe(true);
  });

  it('lets exactly one of two racing submissions of one link change the password, and shows the other the used-link page', async () => {
    await register(new Browser(t.app), { username: 'racer', email: 'racer@example.com' });
    const token = await requestLink(new Browser(t.app), 'racer@example.com');
    const [one, two] = [new Browser(t.app), new Browser(t.app)];
    for (const browser of [one, two]) {
      await browser.get(`/reset-password/${token}`);
      expect((await browser.get('/reset-password')).text).toContain('name="confirmPassword"');
    }
    // Both submissions have passed the link check when they reach hashing; neither goes on until both are there.
    const hasher = t.app.get(PasswordHasher);
    const hash = hasher.hash.bind(hasher);
    let arrived = 0;
    let bothChecked!: () => void;
    const barrier = new Promise<void>((resolve) => (bothChecked = resolve));
    const spy = jest.spyOn(hasher, 'hash').mockImplementation(async (password) => {
      if (++arrived === 2) bothChecked();
      await barrier;
      return hash(password);
    });
    const passwords = ['Winner Takes#1', 'Winner Takes#2'];
    let answers: Response[];
    try {
      answers = await Promise.all(
        [one, two].map((browser, i) => browser.submit('/reset-password', { password: passwords[i], confirmPassword: passwords[i] })),
      );
    } finally {
      spy.mockRestore();
    }
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 303]);
    const winner = answers.findIndex((answer) => answer.status === 303);
    expect(answers[1 - winner].text).toContain('This link does not work any more');
    expect(await passwordWorks('racer', passwords[winner])).toBe(true);
    expect(await passwordWorks('racer', passwords[1 - winner])).toBe(false);
  });

  it("ends the user's other sessions after a reset", async () => {
    const elsewhere = await loggedInBrowser(t.app, 'roaming');
    expect((await elsewhere.get('/')).status).toBe(200);
    const browser = new Browser(t.app);
    const token = await requestLink(browser, 'roaming@example.com');
    await browser.get(`/reset-password/${token}`);
    await browser.submit('/reset-password', { password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD }, { from: '/reset-password' });
    const after = await elsewhere.get('/');
    expect(after.status).toBe(302);
    expect(after.headers.location).toBe('/login');
  });

  it('never writes a token or a password to the log', async () => {
    await register(new Browser(t.app), { username: 'quiet', email: 'quiet@example.com' });
    const browser = new Browser(t.app);
    const token = await requestLink(browser, 'quiet@example.com');
    await browser.get(`/reset-password/${token}`);
    await browser.submit('/reset-password', { password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD }, { from: '/reset-password' });
    const logs = logger.text();
    expect(logs).toContain('"path":"/reset-password/[redacted]"');
    for (const secret of [token, createHash('sha256').update(token).digest('hex'), NEW_PASSWORD, STRONG_PASSWORD])
      expect(logs).not.toContain(secret);
  });

  describe('throttling', () => {
    it('sends at most 5 links per account per hour, answering the same beyond that', async () => {
      await register(new Browser(t.app), { username: 'flooded', email: 'flooded@example.com' });
      const mails = () => smtp.messages.filter((m) => m.to[0] === 'flooded@example.com').length;
      for (let i = 0; i < 6; i++) {
        const res = await new Browser(t.app).submit('/forgot-password', { email: 'flooded@example.com' }, { from: '/forgot-password' });
        expect(res.text).toContain(SENT);
      }
      await mailer.idle();
      expect(mails()).toBe(5);
      t.clock.advance(61 * MINUTE);
      await requestLink(new Browser(t.app), 'flooded@example.com');
      expect(mails()).toBe(6);
    });

    it('allows 20 requests per hour from one address, then 429 with Retry-After, then recovers', async () => {
      const browser = new Browser(t.app);
      for (let i = 0; i < 20; i++) {
        expect((await browser.submit('/forgot-password', { email: `someone${i}@example.com` }, { from: '/forgot-password' })).status).toBe(
          200,
        );
      }
      const blocked = await browser.submit('/forgot-password', { email: 'one-more@example.com' }, { from: '/forgot-password' });
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(blocked.text).toMatch(/Too many attempts\. Please wait \d+ minutes and try again\./);
      t.clock.advance(61 * MINUTE);
      expect((await browser.submit('/forgot-password', { email: 'later@example.com' }, { from: '/forgot-password' })).status).toBe(200);
    });

    it('allows 10 logins per minute from one address, then 429, then recovers', async () => {
      const browser = new Browser(t.app);
      for (let i = 0; i < 10; i++) expect((await login(browser, `nobody${i}`, 'Wrong Pass#1')).status).toBe(401);
      const blocked = await login(browser, 'nobody', 'Wrong Pass#1');
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(blocked.text).toContain('Too many attempts.');
      t.clock.advance(61_000);
      expect((await login(browser, 'nobody', 'Wrong Pass#1')).status).toBe(401);
    });

    it('allows 10 registrations per hour from one address', async () => {
      const browser = new Browser(t.app);
      for (let i = 0; i < 10; i++)
        expect((await register(browser, { username: `bulk${i}`, email: `bulk${i}@example.com` })).status).toBe(303);
      expect((await register(browser, { username: 'bulk10', email: 'bulk10@example.com' })).status).toBe(429);
      t.clock.advance(61 * MINUTE);
      expect((await register(browser, { username: 'bulk10', email: 'bulk10@example.com' })).status).toBe(303);
    });

    it('slows down and then stops guessing on one account, from any address, until the hour has passed', async () => {
      await register(new Browser(t.app), { username: 'target', email: 'target@example.com' });
      t.clock.slept.length = 0;
      for (let i = 0; i < 100; i++) {
        const res = await login(new Browser(t.app), i % 2 ? 'target' : 'TARGET@example.com', `Guess Number#${i}`);
        expect(res.status).toBe(401);
      }
      expect(t.clock.slept.slice(0, 4)).toEqual([100, 200, 400, 800]);
      expect(Math.max(...t.clock.slept)).toBe(25_000);
      const locked = await login(new Browser(t.app), 'target', STRONG_PASSWORD);
      expect(locked.status).toBe(429);
      expect(locked.text).toContain('Too many failed logins for this account.');
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
      t.clock.advance(61 * MINUTE);
      expect((await login(new Browser(t.app), 'target', STRONG_PASSWORD)).status).toBe(303);
    }, 120_000);
  });
});

describe('rate limits without a trusted proxy', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp('sqlite', { env: { TRUST_PROXY: '' } });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('ignores a spoofed X-Forwarded-For: the 11th login from one address is refused anyway', async () => {
    const agent = request.agent(t.app.getHttpServer());
    const page = await agent.get('/login');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await agent
        .post('/login')
        .set('X-Forwarded-For', `203.0.113.${i}`)
        .type('form')
        .send({ _csrf: token, identifier: 'x', password: 'Wrong Pass#1' });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...Array(10).fill(401), 429]);
  });
});

describe('forgot password without SMTP', () => {
  let t: TestApp;
  const logger = new CapturingLogger();

  beforeAll(async () => {
    t = await createTestApp('sqlite', { logger });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('writes the email into the outbox and logs its file name; no reset or invitation token reaches the log', async () => {
    const admin = await loggedInBrowser(t.app, 'selfhost'); // the first account: admin
    const invited = await admin.submit('/admin/invitations', { days: '7' }, { from: '/admin/settings' });
    const invitation = /value="http[^"]+\/invite\/([^"]+)"/.exec(invited.text)![1];
    expect((await new Browser(t.app).get(`/invite/${invitation}`)).headers.location).toBe('/register');

    await new Browser(t.app).submit('/forgot-password', { email: 'selfhost@example.com' }, { from: '/forgot-password' });
    await t.app.get(Mailer).idle();
    const [mail] = await readOutbox(t.config.mail.outboxDir);
    expect(mail.subject).toBe('Reset your Photosphere password');
    const token = /http:\/\/localhost:3000\/reset-password\/([A-Za-z0-9_-]{43})/.exec(mail.text)![1];
    const visit = new Browser(t.app);
    expect((await visit.get(`/reset-password/${token}`)).headers.location).toBe('/reset-password');
    expect((await visit.get('/reset-password')).text).toContain('name="confirmPassword"');

    const entries = logger.lines.map((line) => JSON.parse(line)[0]);
    const [file] = await readdir(t.config.mail.outboxDir);
    expect(entries).toContainEqual({
      msg: 'Mail written to the outbox',
      subject: 'Reset your Photosphere password',
      file: join(t.config.mail.outboxDir, file),
    });
    expect(entries).toContainEqual(expect.objectContaining({ msg: 'request', path: '/invite/[redacted]', status: 302 }));
    expect(entries).toContainEqual(expect.objectContaining({ msg: 'request', path: '/reset-password/[redacted]', status: 302 }));
    const logs = logger.text();
    for (const secret of [token, invitation, hashToken(token), hashToken(invitation)]) expect(logs).not.toContain(secret);
  });
});
