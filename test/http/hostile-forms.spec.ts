import { MikroORM } from '@mikro-orm/core';
import { PasswordReset } from '../../src/users/password-reset.entity';
import { Mailer } from '../../src/mail/mailer';
import { User } from '../../src/users/user.entity';
import { Browser, login, loggedInBrowser, register, STRONG_PASSWORD } from '../support/browser';
import { startSmtpServer, TestSmtpServer } from '../support/smtp';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';
import { decodeEntities } from '../support/uploads';

/** The issue's hard bound for any one request. */
const LOGIN_FAILED = 'Invalid email/username or password.';
const RESET_REQUESTED = 'If an account exists for that email, we have sent a link to reset its password.';
const CSRF_REFUSED = 'This form has expired or did not come from Photosphere. Reload the page and try again.';
const TOO_LARGE = 'That request is too large.';
const NOT_READABLE = 'This form was sent in a format Photosphere does not read. Reload the page and try again.';
const ONE_MB = 1024 * 1024;

/** Hostile values for one field, as raw urlencoded pairs (so arrays and brackets arrive literally). */
function hostileValues(field: string): Array<{ label: string; pairs: string }> {
  const pair = (value: string) => `${field}=${encodeURIComponent(value)}`;
  return [
    { label: 'overlong (10,000 characters)', pairs: pair('x'.repeat(10_000)) },
    { label: 'control characters', pairs: pair('a\u0000b\u0001\u001b[2J\r\nX-Injected: 1\u007f') },
    { label: 'cyrillic lookalike', pairs: pair('аdmin') },
    { label: 'fullwidth lookalike', pairs: pair('ａｄｍｉｎ') },
    { label: 'zero-width and direction characters', pairs: pair('ad\u200bmin\u202e\u2066') },
    { label: 'combining characters', pairs: pair('a\u0301\u0301\u0301\u0301dmin') },
    { label: 'repeated field (array)', pairs: `${pair('a')}&${pair('b')}` },
    { label: 'bracket array', pairs: `${field}[]=a&${field}[]=b` },
    { label: 'bracket object', pairs: `${field}[a]=b` },
    { label: 'invalid percent-encoding', pairs: `${field}=%E0%A4%A&${field}2=%` },
    { label: 'missing', pairs: '' },
    { label: 'empty', pairs: `${field}=` },
  ];
}

describe.each(backends())('hostile form values [%s]', (backend) => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let probe = 0;
  let address = 0;

  const em = () => t.app.get(MikroORM).em.fork();
  const counts = async () => ({ users: await em().count(User), resets: await em().count(PasswordReset) });

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp(backend, { env: { SMTP_URL: smtp.url } });
    await register(new Browser(t.app), { username: 'victim', email: 'victim@example.com' });
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  /**
   * Posts a raw body (from a fresh browser unless one is given), each time from a new client address: the
   * per-address rate limits are tested elsewhere and must not decide these answers.
   */
  async function post(path: string, body: string | Buffer, contentType = 'application/x-www-form-urlencoded', browser?: Browser) {
    const client = browser ?? new Browser(t.app);
    if (!browser) await client.get(path === '/reset-password' ? '/forgot-password' : path);
    const withToken =
      contentType.startsWith('application/x-www-form-urlencoded') && typeof body === 'string'
        ? `_csrf=${encodeURIComponent(client.csrfToken ?? '')}${body ? `&${body}` : ''}`
        : body;
    const from = `10.250.${(++address >> 8) & 255}.${address & 255}`;
    const res = await client.agent.post(path).set({ 'Content-Type': contentType, 'X-Forwarded-For': from }).redirects(0).send(withToken);
    return { res, text: decodeEntities(res.text ?? '') };
  }

  /** Every answer: a 4xx with its reason on the page (or the route's normal answer), never a 5xx (speed is measured by the benchmarks, not here). */
  function expectClean(label: string, answer: Awaited<ReturnType<typeof post>>, allowed: Array<[number, string]>) {
    const { res, text } = answer;
    const matched = allowed.find(([status, reason]) => res.status === status && text.includes(reason));
    expect({ label, status: res.status, answered: matched ? 'as allowed' : text.slice(0, 300) }).toEqual({
      label,
      status: res.status,
      answered: 'as allowed',
    });
  }

  it('POST /login: every hostile identifier or password is a failed login (401), never an error', async () => {
    const before = await counts();
    for (const field of ['identifier', 'password']) {
      for (const { label, pairs } of hostileValues(field)) {
        // A new unknown account per attempt: the per-account failure delay must not be what this test measures.
        const other = field === 'identifier' ? `password=${encodeURIComponent('Wrong pass 1!')}` : `identifier=probe${++probe}`;
        const answer = await post('/login', [pairs, other].filter(Boolean).join('&'));
        expectClean(`login ${field}: ${label}`, answer, [[401, LOGIN_FAILED]]);
      }
    }
    expect(await counts()).toEqual(before);
  });

  it('POST /register: every hostile value is refused beside its field (422) or makes a working account', async () => {
    const before = await counts();
    let created = 0;
    for (const field of ['username', 'email', 'password'] as const) {
      for (const { label, pairs } of hostileValues(field)) {
        const n = ++probe;
        const valid: Record<string, string> = { username: `newcomer${n}`, email: `newcomer${n}@example.com`, password: STRONG_PASSWORD };
        const others = Object.entries(valid)
          .filter(([name]) => name !== field)
          .map(([name, value]) => `${name}=${encodeURIComponent(value)}`);
        const answer = await post('/register', [pairs, ...others].filter(Boolean).join('&'));
        // A password may hold any character; then the account must work with exactly that password.
        const allowed: Array<[number, string]> = [
          [422, `id="${field}-errors"`],
          ...(field === 'password' ? [[303, '/login'] as [number, string]] : []),
        ];
        expectClean(`register ${field}: ${label}`, answer, allowed);
        if (answer.res.status !== 303) continue;
        created++;
        const loggedIn = await post('/login', `identifier=newcomer${n}&${pairs}`);
        expect({ label, status: loggedIn.res.status }).toEqual({ label, status: 303 });
      }
    }
    // Lookalikes of an existing account are not a way to a second "victim".
    const lookalikes = [
      ['victim', 'VICTIM@example.com'],
      ['Victim', 'victim2@example.com'],
      ['vіctim', 'victim3@example.com'],
      ['victim4', 'victim@example.com\u0000'],
      ['victim5', 'vic\u0001tim@example.com'],
    ];
    for (const [username, email] of lookalikes) {
      const answer = await post(
        '/register',
        `username=${encodeURIComponent(username)}&email=${encodeURIComponent(email)}&password=${encodeURIComponent(STRONG_PASSWORD)}`,
      );
      expectClean(`register lookalike ${username} / ${JSON.stringify(email)}`, answer, [
        [422, 'id="username-errors"'],
        [422, 'id="email-errors"'],
      ]);
    }
    expect(await counts()).toEqual({ ...before, users: before.users + created });
  });

  it('POST /forgot-password: every hostile email gets the usual answer and sends nothing', async () => {
    const before = await counts();
    const mails = smtp.messages.length;
    for (const { label, pairs } of hostileValues('email')) {
      expectClean(`forgot-password email: ${label}`, await post('/forgot-password', pairs), [[200, RESET_REQUESTED]]);
    }
    for (const lookalike of [
      'vіctim@example.com',
      'victim\u0000@example.com',
      'victim@example.com\u200b',
      'victim@exаmple.com',
      'victim@example.com\r\nBcc: attacker@example.com',
    ]) {
      expectClean(
        `forgot-password lookalike ${JSON.stringify(lookalike)}`,
        await post('/forgot-password', `email=${encodeURIComponent(lookalike)}`),
        [[200, RESET_REQUESTED]],
      );
    }
    await t.app.get(Mailer).idle();
    expect(smtp.messages.length).toBe(mails);
    expect(await counts()).toEqual(before);
  });

  it('POST /reset-password: every hostile new password is refused (422) and the link still works afterwards', async () => {
    const browser = new Browser(t.app);
    await browser.submit('/forgot-password', { email: 'victim@example.com' }, { from: '/forgot-password' });
    const mail = await smtp.waitFor((m) => m.to.includes('victim@example.com'));
    const token = /\/reset-password\/([A-Za-z0-9_-]{43})/.exec(mail.text)![1];
    expect((await browser.get(`/reset-password/${token}`)).status).toBe(302);
    await browser.get('/reset-password');
    for (const field of ['password', 'confirmPassword']) {
      for (const { label, pairs } of hostileValues(field)) {
        const other = `${field === 'password' ? 'confirmPassword' : 'password'}=${encodeURIComponent('Brand New Pass#7')}`;
        const answer = await post('/reset-password', [pairs, other].filter(Boolean).join('&'), undefined, browser);
        expectClean(`reset-password ${field}: ${label}`, answer, [[422, '-errors"']]);
      }
    }
    expect((await login(new Browser(t.app), 'victim', STRONG_PASSWORD)).status).toBe(303);
    const done = await post(
      '/reset-password',
      `password=${encodeURIComponent('Brand New Pass#7')}&confirmPassword=${encodeURIComponent('Brand New Pass#7')}`,
      undefined,
      browser,
    );
    expect(done.res.status).toBe(303);
  });

  it('refuses a 1 MB field and bodies of the wrong content type on every form, cleanly', async () => {
    const before = await counts();
    const forms = [
      '/login',
      '/register',
      '/forgot-password',
      '/reset-password',
      '/logout',
      '/upload-photos',
      '/delete-photo/00000000-0000-4000-8000-000000000000',
    ];
    const user = await loggedInBrowser(t.app, 'formuser');
    for (const path of forms) {
      const needsLogin = ['/logout', '/upload-photos'].includes(path) || path.startsWith('/delete-photo');
      const client = needsLogin ? user : undefined;
      if (needsLogin) await user.get('/');
      expectClean(`${path}: 1 MB field`, await post(path, `field=${'x'.repeat(ONE_MB)}`, undefined, client), [[413, TOO_LARGE]]);
      const wrongTypes: Array<[string, string | Buffer]> = [
        ['application/json', JSON.stringify({ _csrf: user.csrfToken, email: ['a'], identifier: { $ne: null }, password: { $gt: '' } })],
        ['text/plain', 'identifier=victim&password=x'],
        ['application/xml', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'],
        ['multipart/form-data', 'no boundary at all'],
        ['multipart/form-data; boundary=zzz', '--zzz\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\nnot-closed'],
        ['application/x-www-form-urlencoded; charset=utf-16', Buffer.from('email=a', 'utf16le')],
        ['', 'identifier=victim'],
      ];
      for (const [type, body] of wrongTypes) {
        const answer = await post(path, body, type, client);
        // No token could be read from these bodies: refused by the CSRF check, or by the parser itself (415, 400).
        expectClean(`${path}: Content-Type "${type}"`, answer, [
          [403, CSRF_REFUSED],
          [415, NOT_READABLE],
          [400, 'Choose one or more photos to upload.'],
          [400, 'The upload could not be read. Please try again.'],
          [400, 'The upload was cut off before it finished.'],
        ]);
      }
    }
    expect(await counts()).toEqual({ ...before, users: before.users + 1 });
  });

  it('answers hostile query strings and path segments on GET routes with a page, a redirect, 400 or 404, never an error', async () => {
    const user = await loggedInBrowser(t.app, 'getter');
    const anonymous = [
      '/login?next=%2F%2Fevil.example',
      '/login?next=javascript:alert(1)',
      '/login?next[]=x&next=%2Fa&next=%2Fb',
      `/login?next=%2F${'a'.repeat(10_000)}`,
      '/login?next=%2F%00%0d%0aSet-Cookie:x',
      '/login?logged_out[a]=1',
      `/reset-password/${'x'.repeat(5000)}`,
      '/reset-password/%00',
      '/reset-password/%E0%A4%A',
    ];
    const loggedIn = [
      `/?before=${'x'.repeat(5000)}`,
      '/?before[]=1',
      '/?before=1&before=2',
      '/?before=%E0%A4%A',
      '/?before=99999999999999999_00000000-0000-4000-8000-000000000000',
      `/photos/${'a'.repeat(2000)}`,
      '/photos/%00',
      '/photos/..%2f..%2fetc%2fpasswd',
      '/photos/ＡＢＣ/thumbnail',
      '/photos/%E0%A4%A/preview',
      '/photos/00000000-0000-4000-8000-000000000000/original?download[]=1',
      '/photos/00000000-0000-0000-0000-000000000000%00/delete',
    ];
    for (const [client, paths] of [
      [new Browser(t.app), anonymous],
      [user, loggedIn],
    ] as const) {
      for (const path of paths) {
        const res = await client.agent.get(path).redirects(0);
        const answer = { path: path.slice(0, 80), status: res.status };
        expect(answer).toEqual({
          ...answer,
          status: [200, 302, 303, 400, 404].includes(res.status) ? res.status : 'a page, a redirect, 400 or 404',
        });
        expect(res.text ?? '').not.toMatch(/name="next" value="(\/\/|javascript:)/);
      }
    }
  });
});
