import { MikroORM } from '@mikro-orm/core';
import { createServer, Server, Socket } from 'node:net';
import { databaseOptions } from '../../src/database/database-options';
import { Job } from '../../src/jobs/job.entity';
import { AppProcess, builtApp, freePort, runCli, startAppProcess } from '../support/app-process';
import { Browser, register } from '../support/browser';
import { startSmtpServer, TestSmtpServer } from '../support/smtp';
import { backends, createTestDatabase, TestDatabase } from '../support/test-database';

/** An SMTP server that accepts connections and never says a word: a mail job stays in the middle of its run. */
async function silentSmtpServer(): Promise<{ port: number; connected: Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let connect!: () => void;
  const connected = new Promise<void>((resolve) => (connect = resolve));
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    connect();
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    connected,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.each(backends())('jobs across processes [%s]', (backend) => {
  let build: string;
  let db: TestDatabase;
  let env: Record<string, string>;
  const started: AppProcess[] = [];
  let smtp: TestSmtpServer | undefined;

  const start = async (extra: Record<string, string>) => {
    const app = await startAppProcess(build, { ...env, ...extra });
    started.push(app);
    return app;
  };
  const jobsCli = async (...args: string[]) => {
    const run = await runCli(build, ['jobs', ...args], env);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    return run.stdout;
  };

  beforeAll(async () => {
    [build, db] = await Promise.all([builtApp(), createTestDatabase(backend)]);
    env = {
      DATA_DIR: db.dataDir,
      ...(db.database.driver === 'sqlite' ? {} : { DATABASE_URL: db.database.url }),
      SESSION_SECRET: 'jobs-test-session-secret-0123456789abcdefgh',
      INSTANCE_ID: 'jobs-test-instance',
      STORAGE_CHECK_ON_START: 'false',
    };
  }, 120_000);

  afterEach(async () => {
    for (const app of started.splice(0)) await app.stop(5000);
    await smtp?.stop();
    smtp = undefined;
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('a worker killed with SIGKILL in the middle of a job: the job runs again after the restart, and the mail arrives', async () => {
    const silent = await silentSmtpServer();
    const first = await start({ SMTP_URL: `smtp://127.0.0.1:${silent.port}` });
    await register(new Browser(first.url), { username: 'killed', email: 'killed@example.com' });
    const res = await new Browser(first.url).submit('/forgot-password', { email: 'killed@example.com' }, { from: '/forgot-password' });
    expect(res.status).toBe(200);

    await silent.connected; // the mail job is running: connected, waiting for the server's greeting
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await silent.close();
    expect(await jobsCli()).toMatch(/^queued \d+\nrunning 1\nfailed 0\n$/);

    smtp = await startSmtpServer();
    await start({ SMTP_URL: smtp.url });
    const mail = await smtp.waitFor((m) => m.to[0] === 'killed@example.com');
    expect(mail.subject).toBe('Reset your Photosphere password');
    expect(await jobsCli()).toContain('running 0\nfailed 0\n');
  }, 120_000);

  it('`jobs` prints one line per state and each failed job with its reason; --retry-failed queues them again', async () => {
    const orm = await MikroORM.init(databaseOptions(db));
    try {
      await orm.getMigrator().up();
      const em = orm.em.fork();
      const row = (id: string, state: Job['state'], lastError: string | null) =>
        em.create(Job, {
          id,
          type: 'report.nightly',
          payload: '{}',
          state,
          runAfter: new Date(),
          attempts: state === 'failed' ? 5 : 0,
          lastError,
          leaseOwner: null,
          leaseUntil: null,
          createdAt: new Date(),
        });
      await em.nativeDelete(Job, {});
      row('00000000-0000-4000-8000-00000000000a', 'queued', null);
      row('00000000-0000-4000-8000-00000000000b', 'failed', 'the printer\nis on fire');
      await em.flush();
    } finally {
      await orm.close(true);
    }

    expect(await jobsCli()).toBe('queued 1\nrunning 0\nfailed 1\nfailed report.nightly after 5 attempts: the printer is on fire\n');
    expect(await jobsCli('--retry-failed')).toBe('Failed jobs queued again: 1\nqueued 2\nrunning 0\nfailed 0\n');
    const wrong = await runCli(build, ['jobs', '--everything'], env);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('Usage: npm run cli -- jobs [--retry-failed]');
  }, 60_000);

  it('ROLE=web runs no jobs; a ROLE=worker process runs them and answers only its health checks', async () => {
    smtp = await startSmtpServer();
    const web = await start({ SMTP_URL: smtp.url, ROLE: 'web' });
    await register(new Browser(web.url), { username: 'split', email: 'split@example.com' });
    await new Browser(web.url).submit('/forgot-password', { email: 'split@example.com' }, { from: '/forgot-password' });
    expect(await jobsCli()).toMatch(/^queued [1-9]\d*\nrunning 0\n/);
    expect(smtp.messages).toEqual([]);

    const worker = await start({ SMTP_URL: smtp.url, ROLE: 'worker' });
    const mail = await smtp.waitFor((m) => m.to[0] === 'split@example.com');
    expect(mail.subject).toBe('Reset your Photosphere password');

    expect((await fetch(`${worker.url}/healthz/live`)).status).toBe(200);
    const ready = await fetch(`${worker.url}/healthz/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', db: 'up', storage: 'up' });
    for (const path of ['/', '/login', '/healthz', '/register']) expect((await fetch(`${worker.url}${path}`)).status).toBe(404);
    expect((await fetch(`${worker.url}/login`, { method: 'POST' })).status).toBe(404);
  }, 120_000);
});
