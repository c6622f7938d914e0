import { EntityManager } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { BackgroundTasks } from '../../common/background/background-tasks';
import { hashToken, newSecretToken } from '../../common/secret-token';
import { AttemptCounter } from '../../common/throttle/attempt-counter';
import { HOUR } from '../../common/throttle/rate-limit.decorator';
import { Clock, CLOCK } from '../../common/time/clock';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { Mailer } from '../../mail/mailer';
import { mailMessage } from '../../mail/mail-template';
import { User } from '../../users/user.entity';
import { UsersService } from '../../users/users.service';
import { AuthService } from '../auth.service';
import { passwordProblems } from '../password-policy';
import { field, FieldErrors, hasErrors } from '../../common/http/form-fields';
import { PasswordReset } from './password-reset.entity';

export const RESET_REQUESTS_PER_ACCOUNT_PER_HOUR = 5;
export type ResetErrors = FieldErrors<'password' | 'confirmPassword'>;
export type ResetResult = { ok: true } | { ok: false; invalidLink: true } | { ok: false; errors: ResetErrors };

/**
 * Reset links: 32 random bytes, stored only as their SHA-256, valid for PASSWORD_RESET_MINUTES, used once,
 * superseded by a newer request and voided by any password change. A request is answered before anything is looked
 * up, so the answer takes the same time whether or not an account (and so an email) exists.
 */
@Injectable()
export class PasswordResetService {
  private readonly requestsPerAccount: AttemptCounter;

  constructor(
    private readonly em: EntityManager,
    private readonly users: UsersService,
    private readonly auth: AuthService,
    private readonly mailer: Mailer,
    private readonly background: BackgroundTasks,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.requestsPerAccount = new AttemptCounter(clock, HOUR);
  }

  /**
   * `request`, started once `answered` has settled (the response has gone out): returns at once, so the answer takes
   * the same time whether or not the account exists. A failure is logged (BackgroundTasks).
   */
  requestAfter(answered: Promise<unknown>, email: string): void {
    this.background.run('password reset request', () => this.request(email), answered);
  }

  /** Mails a link if the email belongs to an account that has not asked too often; says nothing either way. */
  async request(email: string): Promise<void> {
    const user = email.includes('@') ? await this.users.findByIdentifier(email) : null;
    if (!user) return;
    if (this.requestsPerAccount.count(user.id) >= RESET_REQUESTS_PER_ACCOUNT_PER_HOUR) return;
    this.requestsPerAccount.record(user.id);
    const link = await this.issueLink(user);
    this.mailer.queue(resetMail(user, link, Math.round(this.config.passwordResetMs / 60_000)));
  }

  /** A new one-time link for the user (replacing any earlier one); also what `npm run cli -- reset-password` prints. */
  async issueLink(user: User): Promise<string> {
    const token = newSecretToken();
    await this.em.transactional(async (em) => {
      await em.nativeDelete(PasswordReset, { userId: user.id });
      em.create(PasswordReset, { tokenHash: hashToken(token), userId: user.id, expiresAt: new Date(this.clock.now().getTime() + this.config.passwordResetMs) });
    });
    return `${this.config.baseUrl}/reset-password/${token}`;
  }

  /** The account a still-valid link belongs to, or null (unknown, used, superseded or expired). */
  async accountFor(tokenHash: string | undefined): Promise<User | null> {
    if (!tokenHash) return null;
    const reset = await this.em.findOne(PasswordReset, { tokenHash, expiresAt: { $gte: this.clock.now() } });
    return reset ? this.users.findById(reset.userId) : null;
  }

  async complete(tokenHash: string | undefined, body: unknown): Promise<ResetResult> {
    const user = await this.accountFor(tokenHash);
    if (!user || !tokenHash) return { ok: false, invalidLink: true };
    const password = field(body, 'password');
    const errors: ResetErrors = {};
    const problems = passwordProblems(password, { username: user.username, email: user.email });
    if (problems.length > 0) errors.password = problems;
    else if (field(body, 'confirmPassword') !== password) errors.confirmPassword = ['The two passwords do not match.'];
    if (hasErrors(errors)) return { ok: false, errors };
    try {
      await this.auth.changePassword(user.id, password, (em) => this.useUp(em, tokenHash));
    } catch (error) {
      if (error instanceof ResetLinkUsedUpError) return { ok: false, invalidLink: true };
      throw error;
    }
    this.mailer.queue(changedMail(user, `${this.config.baseUrl}/forgot-password`));
    return { ok: true };
  }

  /**
   * Uses the link up in the password change's transaction, before the password is written: one conditional DELETE,
   * so of two requests racing with the same link exactly one changes the password.
   */
  private async useUp(em: EntityManager, tokenHash: string): Promise<void> {
    const used = await em.nativeDelete(PasswordReset, { tokenHash, expiresAt: { $gte: this.clock.now() } });
    if (used !== 1) throw new ResetLinkUsedUpError();
  }
}

/** The link was used, superseded or expired between showing the form and submitting it. */
class ResetLinkUsedUpError extends Error {}

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

function changedMail(user: User, forgotLink: string) {
  return mailMessage({
    to: user.email,
    subject: 'Your Photosphere password was changed',
    heading: 'Your password was changed',
    paragraphs: [
      `The password of your Photosphere account "${user.username}" was just changed, and every device was signed out.`,
      'If this was not you, reset your password at once with the link below.',
    ],
    action: { label: 'Reset my password', url: forgotLink },
  });
}
