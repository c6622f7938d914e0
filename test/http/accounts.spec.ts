import { backends } from '../support/test-database';
import { createTestApp, TestApp } from '../support/test-app';
import { Browser, login, loggedInBrowser, register, STRONG_PASSWORD } from '../support/browser';

describe.each(backends())('accounts [%s]', (backend) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(backend);
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('GET/POST /register', () => {
    it('shows a form with labelled fields and password-manager hints', async () => {
      const res = await new Browser(t.app).get('/register');
      expect(res.status).toBe(200);
      expect(res.text).toContain('<label for="username"');
      expect(res.text).toMatch(/name="password" type="password"[^>]*autocomplete="new-password"/);
      expect(res.text).toMatch(/<title>Create your account · Photosphere<\/title>/);
    });

    it('registers, then sends the user to /login with the success message', async () => {
      const browser = new Browser(t.app);
      const res = await register(browser, { username: 'carol', email: 'carol@example.com' });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/login');
      const page = await browser.get('/login');
      expect(page.text).toContain('Registration successful. Please log in.');
    });

    it.each([
      ['username', { username: 'ab' }, 'Username must be 3–32 characters: letters, digits, _ . or -.'],
      ['username', { username: 'a'.repeat(33) }, 'Username must be 3–32 characters'],
      ['username', { username: 'bad name!' }, 'Username must be 3–32 characters'],
      ['email', { email: 'not-an-email' }, 'Enter a valid email address'],
      ['password', { password: 'Sh0rt!' }, 'Password must be at least 8 characters.'],
      ['password', { password: 'lowercase only!' }, 'Password must contain at least one uppercase letter.'],
      ['password', { password: 'NoSpecials123' }, 'Password must contain at least one special character'],
      ['password', { password: 'A!' + 'x'.repeat(127) }, 'Password must be at most 128 characters.'],
      ['password', { password: 'Password1!' }, 'one of the most common passwords'],
      ['password', { password: 'Dave-the-Great!' }, 'must not contain your username'],
    ])('rejects a bad %s with 422 and the message beside the field', async (fieldName, fields, message) => {
      const browser = new Browser(t.app);
      const res = await register(browser, { username: 'dave', email: 'dave@example.com', ...fields });
      expect(res.status).toBe(422);
      const errors = new RegExp(`id="${fieldName}-errors"[^>]*>[\\s\\S]*?${escape(message)}`);
      expect(res.text).toMatch(errors);
      expect(res.text).toMatch(new RegExp(`id="${fieldName}"[^>]*is-invalid|class="[^"]*is-invalid[^"]*"[^>]*\\n?[^>]*id="${fieldName}"`));
    });

    it('keeps the typed values but never the password', async () => {
      const browser = new Browser(t.app);
      const res = await register(browser, { username: 'erin', email: 'erin@example.com', password: 'secretpass' });
      expect(res.status).toBe(422);
      expect(res.text).toContain('value="erin"');
      expect(res.text).toContain('value="erin@example.com"');
      expect(res.text).not.toContain('secretpass');
    });

    it('counts password length in characters, not bytes', async () => {
      const browser = new Browser(t.app);
      const sevenAccented = 'É!' + 'é'.repeat(5); // 7 characters, 13 bytes
      const short = await register(browser, { username: 'fred', email: 'fred@example.com', password: sevenAccented });
      expect(short.text).toContain('Password must be at least 8 characters.');
      const ok = await register(browser, { username: 'fred', email: 'fred@example.com', password: sevenAccented + 'é' });
      expect(ok.status).toBe(303);
    });

    it('accepts a 128-character password and logs in with it', async () => {
      const password = 'Long!' + 'Zq7'.repeat(41); // 128 characters
      expect([...password]).toHaveLength(128);
      const browser = new Browser(t.app);
      expect((await register(browser, { username: 'gina', email: 'gina@example.com', password })).status).toBe(303);
      expect((await login(browser, 'gina', password)).status).toBe(303);
      expect((await login(new Browser(t.app), 'gina', password.slice(0, 72))).status).toBe(401);
    });

    it('refuses a username or email that differs only in letter case', async () => {
      await loggedInBrowser(t.app, 'Henry');
      const sameName = await register(new Browser(t.app), { username: 'HENRY', email: 'other@example.com' });
      expect(sameName.status).toBe(422);
      expect(sameName.text).toContain('That username is already taken.');
      const sameEmail = await register(new Browser(t.app), { username: 'henry2', email: 'Henry@EXAMPLE.com' });
      expect(sameEmail.status).toBe(422);
      expect(sameEmail.text).toContain('An account with this email already exists.');
    });

    it('treats array-valued fields as invalid input, not as a crash', async () => {
      const browser = new Browser(t.app);
      await browser.get('/register');
      const res = await browser.agent
        .post('/register')
        .type('form')
        .send(`_csrf=${browser.csrfToken}&username=a&username=b&email=x@y.z&password=${encodeURIComponent(STRONG_PASSWORD)}`);
      expect(res.status).toBe(422);
    });
  });

  describe('GET/POST /login', () => {
    beforeAll(async () => {
      await register(new Browser(t.app), { username: 'Ivy.Lee', email: 'ivy@example.com' });
      await login(new Browser(t.app), 'Ivy.Lee'); // the first login is greeted differently
    });

    it.each(['Ivy.Lee', 'ivy.lee', 'IVY@EXAMPLE.COM', ' ivy@example.com '])(
      'logs in by email or username in any case (%s)',
      async (identifier) => {
        const browser = new Browser(t.app);
        const res = await login(browser, identifier);
        expect(res.status).toBe(303);
        expect(res.headers.location).toBe('/');
        const home = await browser.get('/');
        expect(home.status).toBe(200);
        expect(home.text).toContain('Welcome back!');
        expect(home.text).toContain('Ivy.Lee');
      },
    );

    it('answers an unknown account and a wrong password identically', async () => {
      const unknown = await login(new Browser(t.app), 'nobody@example.com', 'Wrong pass!1');
      const wrong = await login(new Browser(t.app), 'ivy@example.com', 'Wrong pass!1');
      expect(unknown.status).toBe(401);
      expect(wrong.status).toBe(401);
      const mask = (html: string) =>
        html.replace(/(content|value)="[A-Za-z0-9_-]{43}"/g, '$1="TOKEN"').replace(/value="[^"]*@example.com"/, 'value="ID"');
      expect(mask(unknown.text)).toBe(mask(wrong.text));
      expect(unknown.text).toContain('Invalid email/username or password.');
      expect(Object.keys(unknown.headers).sort()).toEqual(Object.keys(wrong.headers).sort());
    });

    it('gives a new session id on login', async () => {
      const browser = new Browser(t.app);
      await browser.get(`/reset-password/${'x'.repeat(43)}`); // a visitor with a session already (one a fixation attack could plant)
      await browser.get('/login');
      const before = browser.sessionCookie();
      const oldToken = browser.csrfToken!;
      await login(browser, 'ivy.lee');
      const after = browser.sessionCookie();
      expect(before).toBeDefined();
      expect(after).toBeDefined();
      expect(after).not.toBe(before);
      // The login page's CSRF token is not the logged-in session's.
      const res = await browser.agent.post('/logout').type('form').send({ _csrf: oldToken }).redirects(0);
      expect(res.status).toBe(403);
    });

    it('returns to the page that sent the user to log in, but only to local paths', async () => {
      const browser = new Browser(t.app);
      const bounced = await browser.get('/?x=1');
      expect(bounced.status).toBe(302);
      expect(bounced.headers.location).toBe('/login?next=%2F%3Fx%3D1');
      const page = await browser.get(bounced.headers.location);
      expect(page.text).toContain('name="next" value="/?x&#x3D;1"');
      const res = await browser.submit('/login', { identifier: 'ivy.lee', password: STRONG_PASSWORD, next: '/?x=1' });
      expect(res.headers.location).toBe('/?x=1');

      for (const next of ['https://evil.example/', '//evil.example/', '/\\evil.example', 'javascript:alert(1)', '/\t/evil.example']) {
        const other = new Browser(t.app);
        const r = await other.submit('/login', { identifier: 'ivy.lee', password: STRONG_PASSWORD, next }, { from: '/login' });
        expect(r.status).toBe(303);
        expect(r.headers.location).toBe('/');
      }
    });

    it('upgrades a hash made with weaker argon2 parameters at the next login', async () => {
      const argon2 = await import('argon2');
      const { MikroORM } = await import('@mikro-orm/core');
      const { User } = await import('../../src/users/user.entity');
      await register(new Browser(t.app), { username: 'olduser', email: 'old@example.com' });
      const em = t.app.get(MikroORM).em.fork();
      const weak = await argon2.hash(STRONG_PASSWORD, { type: argon2.argon2id, memoryCost: 4096, timeCost: 1, parallelism: 1 });
      await em.nativeUpdate(User, { usernameKey: 'olduser' }, { passwordHash: weak });
      expect((await login(new Browser(t.app), 'olduser')).status).toBe(303);
      const user = await em.fork().findOneOrFail(User, { usernameKey: 'olduser' }, { populate: ['passwordHash'] });
      expect(user.passwordHash).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=4\$/);
      expect(user.lastLoginAt).toBeInstanceOf(Date);
    });

    it('stores argon2id hashes with unique salts', async () => {
      const { MikroORM } = await import('@mikro-orm/core');
      const { User } = await import('../../src/users/user.entity');
      await register(new Browser(t.app), { username: 'twin1', email: 'twin1@example.com' });
      await register(new Browser(t.app), { username: 'twin2', email: 'twin2@example.com' });
      const users = await t.app
        .get(MikroORM)
        .em.fork()
        .find(User, { usernameKey: { $in: ['twin1', 'twin2'] } }, { populate: ['passwordHash'] });
      const [a, b] = users.map((u) => u.passwordHash);
      expect(a).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=4\$[^$]{22,}\$[^$]+$/);
      expect(a).not.toBe(b);
    });
  });

  describe('POST /logout', () => {
    it('ends the session on the server, clears the cookie and says so', async () => {
      const browser = await loggedInBrowser(t.app, 'jack');
      await browser.get('/');
      const cookie = browser.sessionCookie()!;
      const res = await browser.submit('/logout', {});
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/login?logged_out');
      expect(String(res.headers['set-cookie'])).toMatch(/photosphere=;.*Expires=Thu, 01 Jan 1970/);
      const page = await browser.get('/login?logged_out');
      expect(page.text).toContain('You have been logged out.');

      // Replaying the old cookie gets nobody in.
      const replay = await new Browser(t.app).agent.get('/').set('Cookie', cookie).redirects(0);
      expect(replay.status).toBe(302);
      expect(replay.headers.location).toBe('/login');
      const htmx = await new Browser(t.app).agent.get('/').set({ Cookie: cookie, 'HX-Request': 'true' }).redirects(0);
      expect(htmx.status).toBe(401);
      expect(htmx.headers['hx-redirect']).toBe('/login');
    });

    it('is not reachable by GET', async () => {
      const browser = await loggedInBrowser(t.app, 'kim');
      expect((await browser.get('/logout')).status).toBe(404);
      expect((await browser.get('/')).status).toBe(200);
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
