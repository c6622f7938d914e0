import { EntityManager } from '@mikro-orm/core';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { AttemptCounter } from '../../common/throttle/attempt-counter';
import { HOUR } from '../../common/throttle/rate-limit.decorator';
import { Clock, CLOCK } from '../../common/time/clock';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { JobHandlers } from '../../jobs/job-handlers';
import { JobQueue } from '../../jobs/job-queue';
import { jobType } from '../../jobs/job-type';
import { mailMessage } from '../../mail/mail-template';
import { Mailer } from '../../mail/mailer';
import type { NewPassword } from '../../users/password-policy';
import { PasswordResetLinks, ResetLinkUsedUpError } from '../../users/password-reset-links';
import type { User } from '../../users/user.entity';
import { UserRepository } from '../../users/user.repository';
import { UsersService } from '../../users/users.service';

export const RESET_REQUESTS_PER_ACCOUNT_PER_HOUR = 5;

/** Looking up the account, issuing the link and mailing it, after the request was answered; sealed (an address). */
const RESET_REQUEST_JOB = jobType<{ email: string }>('password-reset.request', { sealed: true });

/** The link was unknown, used, superseded or expired: the person must ask for a new one. */
export class InvalidResetLinkError extends Error {}

/**
 * The forgot/reset flow. A request only queues a job before it is answered, so the answer takes the same time
 * whether or not an account (and so an email) exists; the job looks the account up, and each account gets at most a
 * few links an hour. The links themselves are PasswordResetLinks, and the password change (with all that follows
 * it) is UsersService's.
 */
@Injectable()
export class PasswordResetService implements OnModuleInit {
  private readonly requestsPerAccount: AttemptCounter;

  constructor(
    private readonly users: UsersService,
    private readonly userRows: UserRepository,
    private readonly links: PasswordResetLinks,
    private readonly mailer: Mailer,
    private readonly jobs: JobQueue,
    private readonly handlers: JobHandlers,
    private readonly em: EntityManager,
    @Inject(CLOCK) clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.requestsPerAccount = new AttemptCounter(clock, HOUR);
  }

  onModuleInit(): void {
    this.handlers.register(RESET_REQUEST_JOB, ({ email }) => this.request(email));
  }

  /** `request` as a job: the same single write whether or not the account exists, so the answer takes the same time. */
  async requestLater(email: string): Promise<void> {
    await this.jobs.enqueueNow(this.em, RESET_REQUEST_JOB, { email });
  }

  /** Mails a link if the email belongs to an account that has not asked too often; says nothing either way. */
  async request(email: string): Promise<void> {
    const user = email.includes('@') ? await this.userRows.findByIdentifier(email) : null;
    if (!user) return;
    if (this.requestsPerAccount.count(user.id) >= RESET_REQUESTS_PER_ACCOUNT_PER_HOUR) return;
    this.requestsPerAccount.record(user.id);
    const minutes = Math.round(this.config.passwordResetMs / 60_000);
    await this.links.issue(user.id, (em, token) => this.mailer.enqueue(em, resetMail(user, this.linkOf(token), minutes)));
  }

  /** A new one-time link for the user (replacing any earlier one); also what `npm run cli -- reset-password` prints. */
  async issueLink(user: User): Promise<string> {
    return this.linkOf(await this.links.issue(user.id));
  }

  /** The account a still-valid link belongs to, or null. */
  accountFor(tokenHash: string | undefined): Promise<User | null> {
    return this.links.accountFor(tokenHash);
  }

  /**
   * Sets the new password and uses the link up, in one transaction: InvalidResetLinkError when the link no longer
   * works (also when another request used it meanwhile), InvalidInputError when the password must change.
   */
  async complete(tokenHash: string | undefined, input: NewPassword): Promise<void> {
    const user = await this.links.accountFor(tokenHash);
    if (!user || !tokenHash) throw new InvalidResetLinkError();
    try {
      await this.users.changePassword(user.id, input, (em) => this.links.useUp(em, tokenHash));
    } catch (error) {
      if (error instanceof ResetLinkUsedUpError) throw new InvalidResetLinkError();
      throw error;
    }
  }

  private linkOf(token: string): string {
    return `${this.config.baseUrl}/reset-password/${token}`;
  }
}

function resetMail(user: User, link: string, minutes: number) {
  return mailMessage({
    to: user.email,
    subject: 'Reset your Photosphere password',
    heading: 'Reset your password',
    paragraphs: [
      `Someone, hopefully you, asked to reset the password of the Photosphere account "${user.username}".`,
      `The link below works once, for ${minutes} minutes. If you did not ask, ignore this email: your password stays as it is.`,
    ],
    action: { label: 'Choose a new password', url: link },
  });
}
