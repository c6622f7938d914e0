import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/core';
import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { Role } from '../common/http/roles.decorator';
import { FieldProblems, hasProblems, InvalidInputError } from '../common/invalid-input';
import { Clock, CLOCK } from '../common/time/clock';
import { isUuid } from '../common/is-uuid';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Mailer } from '../mail/mailer';
import { DatabaseSessionStore } from '../sessions/database-session.store';
import { EMAIL_TAKEN, normaliseEmail, Profile, profileProblems, trimmedProfile, USERNAME_TAKEN, usernameKeyOf } from './account-fields';
import { passwordChangedNotice, profileChangedNotice } from './account-notices';
import { keepAnActiveAdmin } from './last-admin';
import { PasswordHasher } from './password-hasher';
import { NewPassword, newPasswordProblems, PASSWORD_MAX_LENGTH, passwordProblems } from './password-policy';
import { PasswordResetLinks } from './password-reset-links';
import { User } from './user.entity';
import { UserRepository } from './user.repository';

export interface NewAccount extends Profile {
  password: string;
}

/** Work done in the transaction of a change, before it commits; throwing undoes the change. */
export type InTransaction = (em: EntityManager) => Promise<void>;

export interface AccountCreation {
  /** A fixed role, or one decided inside the creating transaction (registration's first-admin rule). */
  role: Role | ((em: EntityManager) => Promise<Role>);
  /** Runs in the creating transaction once the row exists (e.g. to use up an invitation). */
  beforeCommit?: (em: EntityManager, user: User) => Promise<void>;
}

export const PROFILE_RACE = 'That username or email was just taken. Choose another one.';

export class UserNotFoundException extends NotFoundException {
  constructor() {
    super('We could not find that user. They may have been deleted.');
  }
}

/**
 * The only writer of the user row (StorageQuota keeps its bytes used). Each change is made here with everything that
 * must follow it:
 *
 * | Change            | What follows                                                                         |
 * |-------------------|--------------------------------------------------------------------------------------|
 * | create            | format, password policy and uniqueness checked; default quota; role as the caller decides |
 * | profile           | reset links die when the email changes; the old address is told of any change            |
 * | password          | reset links die, every session ends, the owner is told by mail                           |
 * | disabled          | every session ends; the last active admin cannot be disabled                             |
 * | role              | the last active admin cannot be demoted                                                  |
 * | deleted           | what other modules own goes first (caller's `deleteOwned`), reset links, the row, sessions |
 */
@Injectable()
export class UsersService {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly resetLinks: PasswordResetLinks,
    private readonly sessions: DatabaseSessionStore,
    private readonly mailer: Mailer,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The account as it is now (read afresh, so it also works outside a request: CLI, background work), or
   * UserNotFoundException (a 404) for an unknown or malformed id.
   */
  async get(id: string): Promise<User> {
    const user = isUuid(id) ? await this.em.fork().findOne(User, { id }) : null;
    if (!user) throw new UserNotFoundException();
    return user;
  }

  /** Creates the account with the default quota, or throws InvalidInputError saying which fields must change. */
  async create(account: NewAccount, creation: AccountCreation): Promise<User> {
    const profile = trimmedProfile(account);
    const problems: FieldProblems<keyof NewAccount> = profileProblems(profile);
    const passwordIssues = passwordProblems(account.password, profile);
    if (passwordIssues.length > 0) problems.password = passwordIssues;
    if (!problems.username && (await this.users.isUsernameTaken(profile.username))) problems.username = [USERNAME_TAKEN];
    if (!problems.email && (await this.users.isEmailTaken(profile.email))) problems.email = [EMAIL_TAKEN];
    if (hasProblems(problems)) throw new InvalidInputError(problems);
    const passwordHash = await this.hasher.hash(account.password);
    try {
      return await this.em.transactional(async (em) => {
        const role = typeof creation.role === 'function' ? await creation.role(em) : creation.role;
        const user = em.create(User, {
          username: profile.username,
          usernameKey: usernameKeyOf(profile.username),
          email: normaliseEmail(profile.email),
          passwordHash,
          createdAt: this.clock.now(),
          role,
          quotaBytes: this.config.defaultQuotaBytes,
          usedBytes: 0,
        });
        await em.flush();
        await creation.beforeCommit?.(em, user);
        return user;
      });
    } catch (error) {
      this.em.clear();
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      // Someone registered the same name or address between the check above and the insert.
      throw new InvalidInputError(
        (await this.users.isEmailTaken(profile.email)) ? { email: [EMAIL_TAKEN] } : { username: [USERNAME_TAKEN] },
      );
    }
  }

  /** A new username and/or email address; InvalidInputError when they break the rules or are taken. */
  async changeProfile(userId: string, change: Profile): Promise<void> {
    const profile = trimmedProfile(change);
    const problems = profileProblems(profile);
    if (hasProblems(problems)) throw new InvalidInputError(problems);
    const user = await this.get(userId);
    const before: Profile = { username: user.username, email: user.email };
    const after: Profile = { username: profile.username, email: normaliseEmail(profile.email) };
    if (usernameKeyOf(after.username) !== user.usernameKey && (await this.users.isUsernameTaken(after.username)))
      problems.username = [USERNAME_TAKEN];
    if (after.email !== user.email && (await this.users.isEmailTaken(after.email))) problems.email = [EMAIL_TAKEN];
    if (hasProblems(problems)) throw new InvalidInputError(problems);
    try {
      await this.em.transactional(async (em) => {
        await em.nativeUpdate(
          User,
          { id: userId },
          { username: after.username, usernameKey: usernameKeyOf(after.username), email: after.email },
        );
        // A reset link sent to the old address must not work for the new one.
        if (after.email !== before.email) await this.resetLinks.deleteAllOf(em, userId);
        if (after.email !== before.email || after.username !== before.username) {
          this.mailer.enqueue(em, profileChangedNotice(before, after, this.config.baseUrl));
        }
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw new InvalidInputError({ username: [PROFILE_RACE] });
      throw error;
    } finally {
      this.em.clear();
    }
  }

  /**
   * Every password change goes through here: InvalidInputError when the policy refuses it or the two copies differ;
   * otherwise the new hash, reset links voided, every session of the user ended, and a mail to the owner.
   * `beforeCommit` runs first in the same transaction and may refuse the change by throwing (a reset link used up).
   */
  async changePassword(userId: string, input: NewPassword, beforeCommit?: InTransaction): Promise<void> {
    const user = await this.get(userId);
    const problems = newPasswordProblems(input, { username: user.username, email: user.email });
    if (hasProblems(problems)) throw new InvalidInputError(problems);
    const passwordHash = await this.hasher.hash(input.password);
    await this.em.transactional(async (em) => {
      await beforeCommit?.(em);
      await em.nativeUpdate(User, { id: userId }, { passwordHash });
      await this.resetLinks.deleteAllOf(em, userId);
      this.mailer.enqueue(em, passwordChangedNotice(user, this.config.baseUrl));
    });
    await this.sessions.destroyAllOf(userId);
  }

  /** Checks the password of a logged-in user, e.g. before a change to their account. */
  async verifyPassword(userId: string, password: string): Promise<boolean> {
    if (!password || [...password].length > PASSWORD_MAX_LENGTH) return false;
    const user = await this.em.findOne(User, { id: userId }, { populate: ['passwordHash'] });
    return user ? this.hasher.verify(user.passwordHash, password) : false;
  }

  /** After a successful login with `password`: the time, and the hash remade when it used weaker parameters. */
  async recordLogin(user: User, password: string): Promise<void> {
    const passwordHash = this.hasher.needsRehash(user.passwordHash) ? await this.hasher.hash(password) : undefined;
    await this.em.nativeUpdate(User, { id: user.id }, { lastLoginAt: this.clock.now(), ...(passwordHash ? { passwordHash } : {}) });
  }

  /** A disabled user cannot log in, and every session they have ends now. */
  async setDisabled(id: string, disabled: boolean): Promise<User> {
    const user = await this.change(id, async (em, user) => {
      if (disabled) await keepAnActiveAdmin(em, user);
      user.disabledAt = disabled ? (user.disabledAt ?? this.clock.now()) : null;
    });
    if (disabled) await this.sessions.destroyAllOf(id);
    return user;
  }

  async setRole(id: string, role: Role): Promise<User> {
    return this.change(id, async (em, user) => {
      if (role !== 'admin') await keepAnActiveAdmin(em, user);
      user.role = role;
    });
  }

  /** null: unlimited. A quota below what is already stored only stops further uploads. */
  async setQuota(id: string, quotaBytes: number | null): Promise<User> {
    return this.change(id, async (_em, user) => {
      user.quotaBytes = quotaBytes;
    });
  }

  /**
   * Deletes the account: `deleteOwned` first (what other modules store for it, in the same transaction), then its
   * reset links and its row; then every session ends. The last active admin is refused (LastAdminError).
   */
  async delete(id: string, deleteOwned: InTransaction): Promise<User> {
    const user = await this.change(id, async (em, user) => {
      await keepAnActiveAdmin(em, user);
      await deleteOwned(em);
      await this.resetLinks.deleteAllOf(em, user.id);
      await em.nativeDelete(User, { id: user.id });
    });
    await this.sessions.destroyAllOf(id);
    return user;
  }

  private async change(id: string, apply: (em: EntityManager, user: User) => Promise<void>): Promise<User> {
    if (!isUuid(id)) throw new UserNotFoundException();
    return this.em.transactional(async (em) => {
      const user = await em.findOne(User, { id });
      if (!user) throw new UserNotFoundException();
      await apply(em, user);
      return user;
    });
  }
}
