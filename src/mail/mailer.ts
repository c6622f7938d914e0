import { EntityManager } from '@mikro-orm/core';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { JobHandlers } from '../jobs/job-handlers';
import { JobQueue } from '../jobs/job-queue';
import { jobType } from '../jobs/job-type';
import { JobWorkers } from '../jobs/job-workers';
import { MailMessage, MailTransport } from './mail-transport';

export type { MailMessage } from './mail-transport';

/** Mail goes out as a job, sealed: its body may carry a reset link, which must not lie in the jobs table in clear. */
export const MAIL_JOB = jobType<MailMessage>('mail', { sealed: true });

/**
 * How the app sends email: every message is a `mail` job, enqueued in the transaction of the data it belongs to (a
 * reset link's row, a password change), so a request takes the same time whether or not it sends mail, a message is
 * never sent for a change that rolled back, and an SMTP outage delays mail (retried with backoff) instead of losing
 * it. Failures are logged with the recipient's domain and the error only — never the body or the address.
 */
@Injectable()
export class Mailer implements OnModuleInit {
  private readonly logger = new Logger(Mailer.name);

  constructor(
    private readonly transport: MailTransport,
    private readonly queue: JobQueue,
    private readonly handlers: JobHandlers,
    private readonly workers: JobWorkers,
  ) {}

  onModuleInit(): void {
    this.handlers.register(MAIL_JOB, (message) => this.deliver(message));
  }

  /** Queues `message` in `em`'s transaction: sent once that commits, never if it rolls back. */
  enqueue(em: EntityManager, message: MailMessage): void {
    this.queue.enqueue(em, MAIL_JOB, message);
  }

  /**
   * Resolves once this process has sent every message due (and finished every other job due): what tests and
   * shutdown wait for. A message waiting for a retry after a failure does not count.
   */
  idle(): Promise<void> {
    return this.workers.idle();
  }

  private async deliver(message: MailMessage): Promise<void> {
    try {
      await this.transport.send(message);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.error(`Could not send "${message.subject}" to a recipient at ${recipientDomain(message.to)}: ${reason}`);
      throw error;
    }
  }
}

function recipientDomain(to: string): string {
  const domain = to.slice(to.lastIndexOf('@') + 1).replace(/[>\s].*$/, '');
  return to.includes('@') && domain ? domain : '(no domain)';
}
