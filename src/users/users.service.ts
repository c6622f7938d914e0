import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { Clock, CLOCK } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Setting } from '../settings/setting.entity';
import { Role, User } from './user.entity';

export interface NewUser {
  username: string;
  email: string;
  passwordHash: string;
  /** Without a role, the first account of the instance becomes admin and every later one a user. */
  role?: Role;
}

/** Runs inside the transaction that creates the user; throwing undoes the creation. */
export type BeforeCommit = (em: EntityManager, user: User) => Promise<void>;

export class UsernameTakenError extends Error {}
export class EmailTakenError extends Error {}

/**
 * The row whose insertion makes an account the instance's first admin. Two first registrations at the same moment
 * both count no account; the primary key lets only one of them claim it (the other waits for it and becomes a user).
 * No account can be deleted while it is the last admin, so a claimed instance always has its admin.
 */
const FIRST_ADMIN_CLAIM = 'first-admin-claimed';

/** No username or email holds a control character (registration refuses them); SQLite cannot even be asked about a NUL. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

export const normaliseEmail = (email: string) => email.trim().toLowerCase();
export const usernameKeyOf = (username: string) => username.trim().toLowerCase();

@Injectable()
export class UsersService {
  constructor(
    private readonly em: EntityManager,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** True until the first account exists: it becomes admin, and registration is open for it whatever the mode. */
  async isEmpty(): Promise<boolean> {
    return (await this.em.count(User, {})) === 0;
  }

  /** Finds an account by email or username, in any letter case. Usernames cannot contain "@", emails must. */
  async findByIdentifier(identifier: string): Promise<User | null> {
    const value = identifier.trim();
    if (!value || CONTROL_CHARACTER.test(value)) return null;
    const where = value.includes('@') ? { email: normaliseEmail(value) } : { usernameKey: usernameKeyOf(value) };
    return this.em.findOne(User, where, { populate: ['passwordHash'] });
  }

  async findById(id: string): Promise<User | null> {
    return this.em.findOne(User, { id });
  }

  async isUsernameTaken(username: string): Promise<boolean> {
    return (await this.em.count(User, { usernameKey: usernameKeyOf(username) })) > 0;
  }

  async isEmailTaken(email: string): Promise<boolean> {
    return (await this.em.count(User, { email: normaliseEmail(email) })) > 0;
  }

  /**
   * Creates the account with the default quota; a concurrent duplicate surfaces as UsernameTakenError or
   * EmailTakenError. `beforeCommit` runs in the same transaction (e.g. to use up an invitation).
   */
  async create(data: NewUser, beforeCommit?: BeforeCommit): Promise<User> {
    try {
      return await this.em.transactional(async (em) => {
        const role = data.role ?? (await this.roleOfNewAccount(em));
        const user = em.create(User, {
          username: data.username.trim(),
          usernameKey: usernameKeyOf(data.username),
          email: normaliseEmail(data.email),
          passwordHash: data.passwordHash,
          createdAt: this.clock.now(),
          role,
          quotaBytes: this.config.defaultQuotaBytes,
          usedBytes: 0,
        });
        await em.flush();
        await beforeCommit?.(em, user);
        return user;
      });
    } catch (error) {
      this.em.clear();
      if (error instanceof UniqueConstraintViolationException) {
        throw (await this.isEmailTaken(data.email)) ? new EmailTakenError() : new UsernameTakenError();
      }
      throw error;
    }
  }

  private async roleOfNewAccount(em: EntityManager): Promise<Role> {
    if ((await em.count(User, {})) > 0) return 'user';
    try {
      await em.insert(Setting, { name: FIRST_ADMIN_CLAIM, value: this.clock.now().toISOString() });
      return 'admin';
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) return 'user';
      throw error;
    }
  }

  async recordLogin(user: User, newPasswordHash?: string): Promise<void> {
    user.lastLoginAt = this.clock.now();
    if (newPasswordHash) user.passwordHash = newPasswordHash;
    await this.em.flush();
  }
}
