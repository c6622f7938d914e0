import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import { Logger } from '@nestjs/common';
import { AppConfig } from '../../src/config/app-config';
import { Job } from '../../src/jobs/job.entity';
import { retryDelayMs } from '../../src/jobs/job-workers';
import { mailMessage } from '../../src/mail/mail-template';
import { MailMessage, MailTransport } from '../../src/mail/mail-transport';
import { Mailer } from '../../src/mail/mailer';
import { readOutbox, startSmtpServer, TestSmtpServer } from '../support/smtp';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';

const FROM = 'Photosphere <photos@example.org>';
const TRICKY = `Tom & Jerry's <script>alert("x")</script> album`;
const SECRET = 'reset-token-0f1e2d3c4b5a';

function config(mail: { smtpUrl?: string; outboxDir?: string }): AppConfig {
  return {
    mail: { from: FROM, outboxDir: mail.outboxDir ?? join(tmpdir(), 'photosphere-unused-outbox'), smtpUrl: mail.smtpUrl },
  } as AppConfig;
}

function message(to = 'alice@example.net'): MailMessage {
  return mailMessage({
    to,
    subject: 'Reset your password',
    heading: 'Reset your password',
    paragraphs: ['Someone asked to reset the password of your account.', TRICKY],
    action: { label: 'Choose a new password', url: `https://photos.example.org/reset?token=${SECRET}&a=1` },
    footer: 'If you did not ask for this, ignore this email.',
  });
}

const transport = (settings: AppConfig) => new MailTransport(settings);

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe(MailTransport.name, () => {
  let smtp: TestSmtpServer;
  let tempDir: string;
  let sut: MailTransport;

  beforeEach(async () => {
    smtp = await startSmtpServer();
    tempDir = await mkdtemp(join(tmpdir(), 'photosphere-mail-'));
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    sut?.onModuleDestroy();
    await smtp.stop();
    await rm(tempDir, { recursive: true, force: true });
  });

  describe('over SMTP', () => {
    beforeEach(() => {
      sut = transport(config({ smtpUrl: smtp.url }));
    });

    it('delivers a message with from, to, subject and both a text and an HTML part', async () => {
      await sut.send(message());

      expect(smtp.messages).toHaveLength(1);
      const [mail] = smtp.messages;
      expect(mail.from).toBe(FROM);
      expect(mail.to).toEqual(['alice@example.net']);
      expect(mail.subject).toBe('Reset your password');
      expect(mail.raw).toMatch(/^Content-Type: multipart\/alternative/im);
      expect(mail.text).toContain('Someone asked to reset the password of your account.');
      expect(mail.text).toContain(`Choose a new password:\nhttps://photos.example.org/reset?token=${SECRET}&a=1\n`);
      expect(mail.text).toContain('Photosphere');
      expect(mail.html).toContain('<h1');
      expect(mail.html).toContain('Photosphere');
      expect(mail.html).toContain(`href="https://photos.example.org/reset?token=${SECRET}&amp;a=1"`);
    });

    it('escapes HTML-special characters in the HTML part and keeps them intact in the text part', async () => {
      await sut.send(message());

      const [mail] = smtp.messages;
      expect(mail.text).toContain(TRICKY);
      expect(mail.html).toContain('Tom &amp; Jerry&#39;s &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; album');
      expect(mail.html).not.toContain('<script');
    });

    it('send rejects when the SMTP server cannot be reached', async () => {
      sut.onModuleDestroy();
      sut = transport(config({ smtpUrl: `smtp://127.0.0.1:${await closedPort()}` }));

      await expect(sut.send(message())).rejects.toThrow(/ECONNREFUSED/);
    });
  });

  describe('without SMTP_URL', () => {
    let outboxDir: string;
    let logged: jest.SpyInstance;

    beforeEach(() => {
      outboxDir = join(tempDir, 'data', 'outbox');
      sut = transport(config({ outboxDir }));
      logged = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    });

    it('writes exactly one complete, parseable .eml file into a new outbox folder, and no temporary file', async () => {
      await sut.send(message());

      const files = await readdir(outboxDir);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z-[0-9a-f]+\.eml$/);
      const mails = await readOutbox(outboxDir);
      expect(mails).toHaveLength(1);
      const [mail] = mails;
      expect(mail.from).toBe(FROM);
      expect(mail.to).toEqual(['alice@example.net']);
      expect(mail.subject).toBe('Reset your password');
      expect(mail.text).toContain(TRICKY);
      expect(mail.text).toContain(`https://photos.example.org/reset?token=${SECRET}&a=1`);
      expect(mail.html).toContain('Tom &amp; Jerry&#39;s &lt;script&gt;');
      expect(mail.html).not.toContain('<script');
      expect(mail.raw).toMatch(/^Message-ID: <.+>\r$/m);
      expect(mail.raw).toMatch(/^Date: .+\r$/m);
      expect(mail.raw).toContain('\r\n\r\n');
    });

    it('logs each file it writes by its name, and nothing of the message', async () => {
      await sut.send(message());

      const [file] = await readdir(outboxDir);
      expect(logged.mock.calls).toEqual([
        [{ msg: 'Mail written to the outbox', subject: 'Reset your password', file: join(outboxDir, file) }],
      ]);
      expect(JSON.stringify(logged.mock.calls)).not.toContain(SECRET);
    });
  });
});

describe.each(backends())('Mailer: every message through the jobs table [%s]', (backend) => {
  let smtp: TestSmtpServer | undefined;
  let t: TestApp;

  async function start(env: Record<string, string>): Promise<Mailer> {
    t = await createTestApp(backend, { env, storage: 'local' });
    return t.app.get(Mailer);
  }
  const em = () => t.app.get(MikroORM).em.fork();
  const jobs = () => em().find(Job, { type: 'mail' });

  afterEach(async () => {
    jest.restoreAllMocks();
    await t?.close();
    await smtp?.stop();
    smtp = undefined;
  });

  it('sends what a committed transaction enqueued, and nothing of one that rolled back', async () => {
    smtp = await startSmtpServer();
    const mailer = await start({ SMTP_URL: smtp.url });

    await expect(
      em().transactional(async (tx) => {
        mailer.enqueue(tx, message('rolled-back@example.com'));
        await tx.flush();
        throw new Error('the change was refused');
      }),
    ).rejects.toThrow('refused');
    await em().transactional(async (tx) => mailer.enqueue(tx, message('bob@example.com')));
    await mailer.idle();

    expect(smtp.messages.map((mail) => mail.to)).toEqual([['bob@example.com']]);
    expect(smtp.messages[0].text).toContain(SECRET);
    expect(await jobs()).toEqual([]);
  });

  it('when SMTP is down the mail waits, sealed, and is retried with backoff until it arrives; the log holds no body', async () => {
    const port = await closedPort();
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const mailer = await start({ SMTP_URL: `smtp://user:pass@127.0.0.1:${port}` });

    await em().transactional(async (tx) => mailer.enqueue(tx, message('alice@example.net')));
    await mailer.idle();

    const [waiting] = await jobs();
    expect(waiting).toMatchObject({ type: 'mail', state: 'queued', attempts: 1 });
    expect(waiting.lastError).toContain('ECONNREFUSED');
    expect(waiting.runAfter.getTime()).toBe(t.clock.now().getTime() + retryDelayMs(1));
    for (const secret of [SECRET, 'alice', 'example.net', 'Someone asked', 'Reset your password']) {
      expect(waiting.payload).not.toContain(secret);
    }
    const logged = JSON.stringify([...errors.mock.calls, ...warnings.mock.calls]);
    expect(logged).toContain('example.net');
    expect(logged).toContain('ECONNREFUSED');
    expect(logged).not.toContain('alice');
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain('Someone asked');
    expect(logged).not.toContain('Jerry');

    smtp = await startSmtpServer(port);
    t.clock.advance(retryDelayMs(1));
    await mailer.idle();

    expect(smtp.messages.map((mail) => mail.to)).toEqual([['alice@example.net']]);
    expect(smtp.messages[0].text).toContain(SECRET);
    expect(await jobs()).toEqual([]);
  });

  it('without SMTP_URL, queued mail lands in the outbox, one file per message', async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const mailer = await start({});

    await em().transactional(async (tx) => {
      mailer.enqueue(tx, message('one@example.com'));
      mailer.enqueue(tx, message('two@example.com'));
    });
    await mailer.idle();

    const outboxDir = t.config.mail.outboxDir;
    expect((await readdir(outboxDir)).filter((name) => !name.endsWith('.eml'))).toEqual([]);
    const mails = await readOutbox(outboxDir);
    expect(mails.flatMap((mail) => mail.to).sort()).toEqual(['one@example.com', 'two@example.com']);
  });
});
