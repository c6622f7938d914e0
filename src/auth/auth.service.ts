import { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { DatabaseSessionStore } from '../sessions/database-session.store';
import { BeforeCommit, EmailTakenError, UsersService, UsernameTakenError } from '../users/users.service';
import { Role, User } from '../users/user.entity';
import { AccountLoginThrottle, LoginClient } from './account-login-throttle';
import { DeviceCookies } from './device-cookie';
import { PasswordHasher } from './password-hasher';
import { PasswordReset } from './password-reset/password-reset.entity';
import { PASSWORD_MAX_LENGTH } from './password-policy';
import { hasErrors } from '../common/http/form-fields';
import { parseRegistration, RegistrationErrors, RegistrationValues } from './registration-form';
import { InvitationsService, InvitationUnavailableError } from '../registration/invitations.service';
import { RegistrationService } from '../registration/registration.service';

export type RegistrationResult =
  | { ok: true; user: Express.User }
  | { ok: false; closed: true }
  | { ok: false; values: RegistrationValues; errors: RegistrationErrors };

/** A login refused although the password was right: only said after the password has been checked. */
export const ACCOUNT_DISABLED = 'disabled';
/** A login whose password was right; `firstLogin` when the account had never logged in before. */
export interface SuccessfulLogin {
  user: Express.User;
  firstLogin: boolean;
}
export type LoginOutcome = SuccessfulLogin | typeof ACCOUNT_DISABLED | null;

export const USERNAME_TAKEN = 'That username is already taken. Choose another one.';
export const EMAIL_TAKEN = 'An account with this email already exists. Log in, or reset its password.';

@Injectable()
export class AuthService {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly throttle: AccountLoginThrottle,
    private readonly devices: DeviceCookies,
    private readonly sessions: DatabaseSessionStore,
    private readonly registration: RegistrationService,
    private readonly invitations: InvitationsService,
  ) {}

  /**
   * Registers if the registration mode allows it (checked again here, not only when the page was shown). In
   * invite-only mode the invitation is used up in the same transaction that creates the account.
   */
  async register(body: unknown, invitationHash?: string): Promise<RegistrationResult> {
    const access = await this.registration.access(invitationHash);
    if (!access.allowed) return { ok: false, closed: true };
    return this.createAccount(body, undefined, access.invited ? (em, user) => this.invitations.claim(em, invitationHash, user.id) : undefined);
  }

  /**
   * Checks the form (the register page's rules and uniqueness) and creates the account; also used by the
   * `create-user` command. Without a role, the instance's first account becomes admin.
   */
  async createAccount(body: unknown, role?: Role, beforeCommit?: BeforeCommit): Promise<RegistrationResult> {
    const { values, password, errors } = parseRegistration(body);
    if (!errors.username && (await this.users.isUsernameTaken(values.username))) errors.username = [USERNAME_TAKEN];
    if (!errors.email && (await this.users.isEmailTaken(values.email))) errors.email = [EMAIL_TAKEN];
    if (hasErrors(errors)) return { ok: false, values, errors };
    try {
      const user = await this.users.create({ ...values, role, passwordHash: await this.hasher.hash(password) }, beforeCommit);
      return { ok: true, user: toSessionUser(user) };
    } catch (error) {
      if (error instanceof InvitationUnavailableError) return { ok: false, closed: true };
      if (error instanceof UsernameTakenError) return { ok: false, values, errors: { username: [USERNAME_TAKEN] } };
      if (error instanceof EmailTakenError) return { ok: false, values, errors: { email: [EMAIL_TAKEN] } };
      throw error;
    }
  }

  /**
   * Checks a login. Unknown accounts cost the same argon2 verification as wrong passwords, so neither the answer
   * nor its timing tells them apart; both count against a failure budget (AccountLoginThrottle), the browser's own
   * when its device cookie was issued for this account. A hash made with weaker parameters is upgraded on success.
   * A disabled account is refused, and only then told so.
   */
  async authenticate(identifier: string, password: string, deviceCookie?: string): Promise<LoginOutcome> {
    if (!password || [...password].length > PASSWORD_MAX_LENGTH) return null;
    const user = await this.users.findByIdentifier(identifier);
    const client: LoginClient = user
      ? { accountId: user.id, deviceId: this.devices.deviceOf(deviceCookie, user.id) }
      : { unknownName: identifier.trim().toLowerCase() };
    const valid = await this.throttle.attempt(client, () => (user ? this.hasher.verify(user.passwordHash, password) : this.hasher.verifyNothing(password)));
    if (!user || !valid) return null;
    if (user.disabledAt) return ACCOUNT_DISABLED;
    const firstLogin = user.lastLoginAt === null;
    const upgradedHash = this.hasher.needsRehash(user.passwordHash) ? await this.hasher.hash(password) : undefined;
    await this.users.recordLogin(user, upgradedHash);
    return { user: toSessionUser(user), firstLogin };
  }

  /**
   * Every password change goes through here: new hash, reset links voided, and every session of the user ended.
   * `beforeCommit` runs first in the same transaction and may refuse the change by throwing (a reset link used up).
   */
  async changePassword(userId: string, password: string, beforeCommit?: (em: EntityManager) => Promise<void>): Promise<void> {
    const passwordHash = await this.hasher.hash(password);
    await this.em.transactional(async (em) => {
      await beforeCommit?.(em);
      await em.nativeUpdate(User, { id: userId }, { passwordHash });
      await em.nativeDelete(PasswordReset, { userId });
    });
    await this.sessions.destroyAllOf(userId);
  }

  /** Checks the password of a logged-in user, e.g. before a change to their account. */
  async verifyPassword(userId: string, password: string): Promise<boolean> {
    if (!password || [...password].length > PASSWORD_MAX_LENGTH) return false;
    const user = await this.em.findOne(User, { id: userId }, { populate: ['passwordHash'] });
    return user ? this.hasher.verify(user.passwordHash, password) : false;
  }

  /**
   * The user behind a session, re-read on every request: a deleted or disabled account is logged out at once, and
   * a role change applies to the next request.
   */
  async sessionUser(id: string): Promise<Express.User | null> {
    const user = await this.users.findById(id);
    return user && !user.disabledAt ? toSessionUser(user) : null;
  }
}

export function toSessionUser(user: User): Express.User {
  return { id: user.id, username: user.username, email: user.email, role: user.role };
}
