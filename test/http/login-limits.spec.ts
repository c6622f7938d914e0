import { PasswordHasher } from '../../src/auth/password-hasher';
import { Browser, login, register, STRONG_PASSWORD } from '../support/browser';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';

describe.each(backends())('login limits [%s]', (backend) => {
  let t: TestApp;
  /** Passwords whose argon2 verification started. */
  const verifying: string[] = [];

  beforeAll(async () => {
    t = await createTestApp(backend);
    const hasher = t.app.get(PasswordHasher);
    const verify = hasher.verify.bind(hasher);
    jest.spyOn(hasher, 'verify').mockImplementation(async (hash, password) => {
      verifying.push(password);
      return verify(hash, password);
    });
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
});
