import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import nodemailer, { SendMailOptions } from 'nodemailer';
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
 * folder (so a single-machine install without a mail server still shows what would have been sent).
 */
@Injectable()
export class Mailer implements OnModuleDestroy {
  private readonly logger = new Logger(Mailer.name);
  private readonly inFlight = new Set<Promise<void>>();
  private readonly deliver: (mail: SendMailOptions) => Promise<void>;
  private readonly close: () => void;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
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
        await writeOutboxFile(outboxDir, message);
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
    const sending = this.send(message).catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.error(`Could not send "${message.subject}" to a recipient at ${recipientDomain(message.to)}: ${reason}`);
    });
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }

  /** Resolves once every queued message has been delivered or has failed (including ones queued meanwhile). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) {
      await Promise.all(this.inFlight);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.idle();
    this.close();
  }
}

/** Writes under a temporary name and renames, so a reader of the folder never sees half a message. */
async function writeOutboxFile(outboxDir: string, message: Buffer): Promise<void> {
  await mkdir(outboxDir, { recursive: true, mode: 0o700 });
  // ISO 8601 with ':' replaced, as ':' is not allowed in Windows file names; names still sort by time.
  const name = `${new Date().toISOString().replace(/:/g, '-')}-${randomBytes(6).toString('hex')}.eml`;
  const temporary = join(outboxDir, `.${name}.tmp`);
  try {
    await writeFile(temporary, message, { mode: 0o600, flag: 'wx' });
    await rename(temporary, join(outboxDir, name));
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

function recipientDomain(to: string): string {
  const domain = to.slice(to.lastIndexOf('@') + 1).replace(/[>\s].*$/, '');
  return to.includes('@') && domain ? domain : '(no domain)';
}
