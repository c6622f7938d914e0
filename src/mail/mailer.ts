import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import nodemailer, { SendMailOptions } from 'nodemailer';
import { BackgroundTasks } from '../common/background/background-tasks';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** A dead or unreachable SMTP server should fail a send within seconds, not nodemailer's default minutes. */
const SMTP_TIMEOUT_MS = 10_000;

/**
 * Sends email: over SMTP when SMTP_URL is set, otherwise as one complete .eml file per message in the outbox
 * folder (so a single-machine install without a mail server still shows what would have been sent). Each file
 * written is logged by its name only: a message may carry a secret link, so nothing of its body is ever logged.
 */
@Injectable()
export class Mailer implements OnModuleDestroy {
  private readonly logger = new Logger(Mailer.name);
  private readonly deliver: (mail: SendMailOptions) => Promise<void>;
  private readonly close: () => void;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly background: BackgroundTasks,
  ) {
    const { smtpUrl, outboxDir } = config.mail;
    if (smtpUrl) {
      // Options in the URL's query string (e.g. ?connectionTimeout=30000) win over these defaults.
      const transport = nodemailer.createTransport({
        url: smtpUrl,
        connectionTimeout: SMTP_TIMEOUT_MS,
        greetingTimeout: SMTP_TIMEOUT_MS,
        socketTimeout: SMTP_TIMEOUT_MS,
      });
      this.deliver = async (mail) => {
        await transport.sendMail(mail);
      };
      this.close = () => transport.close();
    } else {
      const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
      this.deliver = async (mail) => {
        const { message } = await transport.sendMail(mail);
        if (!Buffer.isBuffer(message)) throw new Error('Expected the stream transport to hand back the message as a Buffer.');
        const file = await writeOutboxFile(outboxDir, message);
        this.logger.log({ msg: 'Mail written to the outbox', subject: mail.subject, file });
      };
      this.close = () => transport.close();
    }
  }

  /** Sends one message and resolves once the SMTP server accepted it (or the .eml file is complete). */
  async send(message: MailMessage): Promise<void> {
    await this.deliver({
      from: this.config.mail.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
    });
  }

  /**
   * Sends in the background and returns at once, so a request takes the same time whether or not it sends mail.
   * Failures are logged (recipient's domain and error only — never the body, which may carry a secret link).
   */
  queue(message: MailMessage): void {
    this.background.run(`sending "${message.subject}"`, () =>
      this.send(message).catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        this.logger.error(`Could not send "${message.subject}" to a recipient at ${recipientDomain(message.to)}: ${reason}`);
      }),
    );
  }

  /**
   * Resolves once every queued message has been delivered or has failed, and with them every other background task:
   * one may still queue a message (a reset link is mailed only after its request has been answered).
   */
  idle(): Promise<void> {
    return this.background.idle();
  }

  async onModuleDestroy(): Promise<void> {
    await this.idle();
    this.close();
  }
}

/**
 * Writes under a temporary name and renames, so a reader of the folder never sees half a message; returns the
 * file's path.
 */
async function writeOutboxFile(outboxDir: string, message: Buffer): Promise<string> {
  await mkdir(outboxDir, { recursive: true, mode: 0o700 });
  // ISO 8601 with ':' replaced, as ':' is not allowed in Windows file names; names still sort by time.
  const name = `${new Date().toISOString().replace(/:/g, '-')}-${randomBytes(6).toString('hex')}.eml`;
  const temporary = join(outboxDir, `.${name}.tmp`);
  const file = join(outboxDir, name);
  try {
    await writeFile(temporary, message, { mode: 0o600, flag: 'wx' });
    await rename(temporary, file);
    return file;
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

function recipientDomain(to: string): string {
  const domain = to.slice(to.lastIndexOf('@') + 1).replace(/[>\s].*$/, '');
  return to.includes('@') && domain ? domain : '(no domain)';
}
