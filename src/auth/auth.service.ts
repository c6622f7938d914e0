import { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { DatabaseSessionStore } from '../sessions/database-session.store';
import { EmailTakenError, UsersService, UsernameTakenError } from '../users/users.service';
import { User } from '../users/user.entity';
import { AccountLoginThrottle } from './account-login-throttle';
import { PasswordHasher } from './password-hasher';
import { PasswordReset } from './password-reset/password-reset.entity';
import { PASSWORD_MAX_LENGTH } from './password-policy';
import { hasErrors } from '../common/http/form-fields';
import { parseRegistration, RegistrationErrors, RegistrationValues } from './registration-form';

export type RegistrationResult =
  | { ok: true; user: Express.User }
  | { ok: false; values: RegistrationValues; errors: RegistrationErrors };

export const USERNAME_TAKEN = 'That username is already taken. Choose another one.';
export const EMAIL_TAKEN = 'An account with this email already exists. Log in, or reset its password.';

@Injectable()
export class AuthService {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly throttle: AccountLoginThrottle,
    private readonly sessions: DatabaseSessionStore,
  ) {}

  async register(body: unknown): Promise<RegistrationResult> {
    const { values, password, errors } = parseRegistration(body);
    if (!errors.username && (await this.users.isUsernameTaken(values.username))) errors.username = [USERNAME_TAKEN];
    if (!errors.email && (await this.users.isEmailTaken(values.email))) errors.email = [EMAIL_TAKEN];
    if (hasErrors(errors)) return { ok: false, values, errors };
    try {
      const user = await this.users.create({ ...values, passwordHash: await this.hasher.hash(password) });
      return { ok: true, user: toSessionUser(user) };
    } catch (error) {
      if (error instanceof UsernameTakenError) return { ok: false, values, errors: { username: [USERNAME_TAKEN] } };
      if (error instanceof EmailTakenError) return { ok: false, values, errors: { email: [EMAIL_TAKEN] } };
      throw error;
    }
  }

  /**
   * Checks a login. Unknown accounts cost the same argon2 verification as wrong passwords, so neither the answer
   * nor its timing tells them apart; both count against the account's failure budget (AccountLoginThrottle).
   * A hash made with weaker parameters is upgraded on success.
   */
  async authenticate(identifier: string, password: string): Promise<Express.User | null> {
    if (!password || [...password].length > PASSWORD_MAX_LENGTH) return null;
    const user = await this.users.findByIdentifier(identifier);
    const account = user?.id ?? `unknown:${identifier.trim().toLowerCase()}`;
    await this.throttle.beforeAttempt(account);
    const valid = user ? await this.hasher.verify(user.passwordHash, password) : await this.hasher.verifyNothing(password);
    if (!user || !valid) {
      this.throttle.failed(account);
      return null;
    }
    this.throttle.succeeded(account);
    const upgradedHash = this.hasher.needsRehash(user.passwordHash) ? await this.hasher.hash(password) : undefined;
    await this.users.recordLogin(user, upgradedHash);
    return toSessionUser(user);
  }

  /** Every password change goes through here: new hash, reset links voided, and every session of the user ended. */
  async changePassword(userId: string, password: string): Promise<void> {
    const passwordHash = await this.hasher.hash(password);
    await this.em.transactional(async (em) => {
      await em.nativeUpdate(User, { id: userId }, { passwordHash });
      await em.nativeDelete(PasswordReset, { userId });
    });
    await this.sessions.destroyAllOf(userId);
  }

  /** The user behind a session, re-read on every request so a deleted account is logged out at once. */
  async sessionUser(id: string): Promise<Express.User | null> {
    const user = await this.users.findById(id);
    return user ? toSessionUser(user) : null;
  }
}

function toSessionUser(user: User): Express.User {
  return { id: user.id, username: user.username, email: user.email };
}
