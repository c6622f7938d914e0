import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import nodemailer, { SendMailOptions } from 'nodemailer';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/** One email, ready to send. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** A dead or unreachable SMTP server should fail a send within seconds, not nodemailer's default minutes. */
const SMTP_TIMEOUT_MS = 10_000;

/**
 * Delivers email now: over SMTP when SMTP_URL is set, otherwise as one complete .eml file per message in the outbox
 * folder (so a single-machine install without a mail server still shows what would have been sent). Each file
 * written is logged by its name only: a message may carry a secret link, so nothing of its body is ever logged.
 * The app sends through Mailer, which queues every message as a job that ends here.
 */
@Injectable()
export class MailTransport implements OnModuleDestroy {
  private readonly logger = new Logger('Mailer');
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

  onModuleDestroy(): void {
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
