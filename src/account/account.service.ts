import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { AuthService, EMAIL_TAKEN, USERNAME_TAKEN } from '../auth/auth.service';
import { PasswordReset } from '../auth/password-reset/password-reset.entity';
import { passwordProblems } from '../auth/password-policy';
import { parseProfile, RegistrationValues } from '../auth/registration-form';
import { field, FieldErrors, hasErrors } from '../common/http/form-fields';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { mailMessage } from '../mail/mail-template';
import { Mailer } from '../mail/mailer';
import { DatabaseSessionStore } from '../sessions/database-session.store';
import { User } from '../users/user.entity';
import { normaliseEmail, usernameKeyOf, UsersService } from '../users/users.service';
import { AccountRemovalService } from './account-removal.service';

export const WRONG_CURRENT_PASSWORD = 'Your current password is not correct.';

export type ProfileErrors = FieldErrors<'username' | 'email' | 'currentPassword'>;
export type PasswordErrors = FieldErrors<'currentPassword' | 'password' | 'confirmPassword'>;

/** A form's outcome: done, or the errors to show beside its fields (and whether the current password was wrong). */
export type FormResult<E> = { ok: true } | { ok: false; errors: E; wrongPassword: boolean };

/**
 * What people do to their own account. Every change needs the current password; changing the username or email
 * tells the old address, changing the password ends every other session, and deleting removes everything.
 */
@Injectable()
export class AccountService {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UsersService,
    private readonly auth: AuthService,
    private readonly sessions: DatabaseSessionStore,
    private readonly removal: AccountRemovalService,
    private readonly mailer: Mailer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async account(userId: string): Promise<User> {
    return this.em.findOneOrFail(User, { id: userId });
  }

  async updateProfile(userId: string, body: unknown): Promise<FormResult<ProfileErrors> & { values: RegistrationValues }> {
    const { values, errors } = parseProfile(body) as { values: RegistrationValues; errors: ProfileErrors };
    if (!(await this.auth.verifyPassword(userId, field(body, 'currentPassword')))) {
      return { ok: false, values, errors: { currentPassword: [WRONG_CURRENT_PASSWORD] }, wrongPassword: true };
    }
    if (hasErrors(errors)) return { ok: false, values, errors, wrongPassword: false };
    const user = await this.account(userId);
    const before = { username: user.username, email: user.email };
    if (usernameKeyOf(values.username) !== user.usernameKey && (await this.users.isUsernameTaken(values.username))) errors.username = [USERNAME_TAKEN];
    if (normaliseEmail(values.email) !== user.email && (await this.users.isEmailTaken(values.email))) errors.email = [EMAIL_TAKEN];
    if (hasErrors(errors)) return { ok: false, values, errors, wrongPassword: false };
    user.username = values.username;
    user.usernameKey = usernameKeyOf(values.username);
    user.email = normaliseEmail(values.email);
    try {
      await this.em.flush();
    } catch (error) {
      this.em.clear();
      if (error instanceof UniqueConstraintViolationException) {
        return { ok: false, values, errors: { username: ['That username or email was just taken. Choose another one.'] }, wrongPassword: false };
      }
      throw error;
    }
    // A reset link sent to the old address must not work for the new one.
    if (before.email !== user.email) await this.em.nativeDelete(PasswordReset, { userId });
    if (before.email !== user.email || before.username !== user.username) this.mailer.queue(profileChangedMail(before, user, this.config.baseUrl));
    return { ok: true, values };
  }

  async changePassword(userId: string, body: unknown): Promise<FormResult<PasswordErrors>> {
    if (!(await this.auth.verifyPassword(userId, field(body, 'currentPassword')))) {
      return { ok: false, errors: { currentPassword: [WRONG_CURRENT_PASSWORD] }, wrongPassword: true };
    }
    const user = await this.account(userId);
    const password = field(body, 'password');
    const errors: PasswordErrors = {};
    const problems = passwordProblems(password, { username: user.username, email: user.email });
    if (problems.length > 0) errors.password = problems;
    else if (field(body, 'confirmPassword') !== password) errors.confirmPassword = ['The two passwords do not match.'];
    if (hasErrors(errors)) return { ok: false, errors, wrongPassword: false };
    await this.auth.changePassword(userId, password);
    this.mailer.queue(
      mailMessage({
        to: user.email,
        subject: 'Your Photosphere password was changed',
        heading: 'Your password was changed',
        paragraphs: [
          `The password of your Photosphere account "${user.username}" was just changed on the account page, and every other device was signed out.`,
          'If this was not you, reset your password at once with the link below.',
        ],
        action: { label: 'Reset my password', url: `${this.config.baseUrl}/forgot-password` },
      }),
    );
    return { ok: true };
  }

  async signOutEverywhere(userId: string): Promise<void> {
    await this.sessions.destroyAllOf(userId);
  }

  /** Deletes the account with all its photos; the last active admin is refused (LastAdminError). */
  async delete(userId: string, currentPassword: string): Promise<boolean> {
    if (!(await this.auth.verifyPassword(userId, currentPassword))) return false;
    await this.removal.remove(await this.account(userId));
    return true;
  }
}

function profileChangedMail(before: { username: string; email: string }, after: User, baseUrl: string) {
  const changes = [
    before.username !== after.username ? `username from "${before.username}" to "${after.username}"` : undefined,
    before.email !== after.email ? `email address from ${before.email} to ${after.email}` : undefined,
  ].filter(Boolean);
  return mailMessage({
    to: before.email,
    subject: 'Your Photosphere account was changed',
    heading: 'Your account details were changed',
    paragraphs: [
      `The ${changes.join(' and the ')} of your Photosphere account were just changed.`,
      'If this was not you, tell an administrator of this Photosphere at once: they can disable the account and send a password reset link.',
    ],
    action: { label: 'Open Photosphere', url: baseUrl },
  });
}
