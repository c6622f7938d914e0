import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { BackgroundTasks } from '../../src/common/background/background-tasks';
import { AppConfig } from '../../src/config/app-config';
import { mailMessage } from '../../src/mail/mail-template';
import { MailMessage, Mailer } from '../../src/mail/mailer';
import { readOutbox, startSmtpServer, TestSmtpServer } from '../support/smtp';

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

const mailer = (settings: AppConfig) => new Mailer(settings, new BackgroundTasks());

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe(Mailer.name, () => {
  let smtp: TestSmtpServer;
  let tempDir: string;
  let sut: Mailer;

  beforeEach(async () => {
    smtp = await startSmtpServer();
    tempDir = await mkdtemp(join(tmpdir(), 'photosphere-mail-'));
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await sut?.onModuleDestroy();
    await smtp.stop();
    await rm(tempDir, { recursive: true, force: true });
  });

  describe('over SMTP', () => {
    beforeEach(() => {
      sut = mailer(config({ smtpUrl: smtp.url }));
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

    it('queue returns before delivery, and idle() resolves once the message has arrived', async () => {
      const returned = sut.queue(message('bob@example.com'));

      expect(returned).toBeUndefined();
      expect(smtp.messages).toHaveLength(0);
      await sut.idle();
      expect(smtp.messages).toHaveLength(1);
      expect(smtp.messages[0].to).toEqual(['bob@example.com']);
    });

    it('idle() waits for every queued message, and shutting down delivers what is still queued', async () => {
      sut.queue(message('one@example.com'));
      sut.queue(message('two@example.com'));
      await sut.idle();
      expect(smtp.messages.flatMap((mail) => mail.to).sort()).toEqual(['one@example.com', 'two@example.com']);

      sut.queue(message('three@example.com'));
      expect(smtp.messages).toHaveLength(2);
      await sut.onModuleDestroy();
      expect(smtp.messages.map((mail) => mail.to[0])).toContain('three@example.com');
    });

    it('when the SMTP server cannot be reached, queue neither throws nor leaks the body into the log', async () => {
      const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      const warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      await sut.onModuleDestroy();
      sut = mailer(config({ smtpUrl: `smtp://user:pass@127.0.0.1:${await closedPort()}` }));

      expect(() => sut.queue(message('alice@example.net'))).not.toThrow();
      await sut.idle();

      expect(errors).toHaveBeenCalledTimes(1);
      const logged = JSON.stringify([...errors.mock.calls, ...warnings.mock.calls]);
      expect(logged).toContain('example.net');
      expect(logged).toContain('ECONNREFUSED');
      expect(logged).toContain('Reset your password');
      expect(logged).not.toContain('alice');
      expect(logged).not.toContain(SECRET);
      expect(logged).not.toContain('Someone asked');
      expect(logged).not.toContain('Jerry');
    });

    it('send rejects when the SMTP server cannot be reached', async () => {
      await sut.onModuleDestroy();
      sut = mailer(config({ smtpUrl: `smtp://127.0.0.1:${await closedPort()}` }));

      await expect(sut.send(message())).rejects.toThrow(/ECONNREFUSED/);
    });
  });

  describe('without SMTP_URL', () => {
    let outboxDir: string;
    let logged: jest.SpyInstance;

    beforeEach(() => {
      outboxDir = join(tempDir, 'data', 'outbox');
      sut = mailer(config({ outboxDir }));
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

    it('queues into the outbox too, one file per message', async () => {
      sut.queue(message('one@example.com'));
      sut.queue(message('two@example.com'));
      await sut.idle();

      expect((await readdir(outboxDir)).filter((name) => !name.endsWith('.eml'))).toEqual([]);
      const mails = await readOutbox(outboxDir);
      expect(mails.flatMap((mail) => mail.to).sort()).toEqual(['one@example.com', 'two@example.com']);
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
