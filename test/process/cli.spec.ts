import { AppProcess, builtApp, freePort, runCli, startAppProcess } from '../support/app-process';
import { Browser, loggedInBrowser, login } from '../support/browser';
import { backends, createTestDatabase, TestDatabase } from '../support/test-database';

const NEW_PASSWORD = 'Fresh Start#2026';

describe.each(backends())('npm run cli -- reset-password [%s]', (backend) => {
  let build: string;
  let db: TestDatabase;
  let app: AppProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    [build, db] = await Promise.all([builtApp(), createTestDatabase(backend)]);
    const port = await freePort();
    env = {
      DATA_DIR: db.dataDir,
      ...(db.database.driver === 'sqlite' ? {} : { DATABASE_URL: db.database.url }),
      BASE_URL: `http://127.0.0.1:${port}`,
      SESSION_SECRET: 'cli-test-session-secret-0123456789abcdefgh',
    };
    app = await startAppProcess(build, env, port);
  }, 120_000);

  afterAll(async () => {
    await app?.stop(5000);
    await db?.drop();
  });

  it('prints a one-time link (by username or email) that lets the user choose a new password', async () => {
    const owner = await loggedInBrowser(app.url, 'forgetful');

    const byEmail = await runCli(build, ['reset-password', 'Forgetful@Example.com'], env);
    expect(byEmail.code).toBe(0);
    const issued = await runCli(build, ['reset-password', 'forgetful'], env);
    expect(issued.code).toBe(0);
    expect(issued.stdout).toContain('Password reset link for forgetful <forgetful@example.com>');
    const [link] = issued.stdout.match(new RegExp(`${env.BASE_URL}/reset-password/[A-Za-z0-9_-]{43}`)) ?? [];
    expect(link).toBeDefined();
    const earlier = byEmail.stdout.match(/\/reset-password\/[A-Za-z0-9_-]{43}/)![0];

    const helped = new Browser(app.url);
    expect((await helped.get(earlier)).status).toBe(302);
    expect((await helped.get('/reset-password')).text).not.toContain('name="confirmPassword"'); // replaced by the newer link

    expect((await helped.get(new URL(link!).pathname)).headers.location).toBe('/reset-password');
    const done = await helped.submit(
      '/reset-password',
      { password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD },
      { from: '/reset-password' },
    );
    expect(done.status).toBe(303);
    expect((await login(new Browser(app.url), 'forgetful', NEW_PASSWORD)).status).toBe(303);
    expect((await owner.get('/')).status).toBe(302); // every old session ended

    const again = new Browser(app.url);
    expect((await again.get(new URL(link!).pathname)).status).toBe(302);
    expect((await again.get('/reset-password')).text).not.toContain('name="confirmPassword"'); // used once
  }, 60_000);

  it('says so when there is no such user, and shows the usage without one', async () => {
    const unknown = await runCli(build, ['reset-password', 'nobody'], env);
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toContain('No user "nobody".');
    const missing = await runCli(build, ['reset-password'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Usage: npm run cli -- reset-password <username-or-email>');
  }, 30_000);
});
