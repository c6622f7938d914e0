import { EntityManager } from '@mikro-orm/core';
import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { AccountRemovalService } from '../account/account-removal.service';
import { PasswordResetService } from '../auth/password-reset/password-reset.service';
import { Clock, CLOCK } from '../common/time/clock';
import { DatabaseSessionStore } from '../sessions/database-session.store';
import { keepAnActiveAdmin } from '../users/last-admin';
import { Role, User } from '../users/user.entity';
import { usernameKeyOf } from '../users/users.service';

export const USERS_PAGE_SIZE = 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class UserNotFoundException extends NotFoundException {
  constructor() {
    super('We could not find that user. They may have been deleted.');
  }
}

export class ConfirmationMismatchError extends Error {
  constructor() {
    super('Type the username exactly to confirm the deletion.');
  }
}

export interface UsersPage {
  users: Array<{ user: User; photoCount: number }>;
  total: number;
  page: number;
  pages: number;
}

/** What an admin does to accounts. Every change that could leave no active admin is refused (LastAdminError). */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly em: EntityManager,
    private readonly sessions: DatabaseSessionStore,
    private readonly removal: AccountRemovalService,
    private readonly resets: PasswordResetService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Accounts whose username or email contains `query`, oldest first, a page at a time, with their photo counts. */
  async list(query: string, page: number): Promise<UsersPage> {
    // LIKE has no portable escape: `%` and `\` are dropped, and `_` (common in usernames) matches itself or any one
    // character, which only widens the results a little.
    const words = query.trim().toLowerCase().replace(/[%\\]/g, '');
    const pattern = `%${words}%`;
    const where = words ? { $or: [{ usernameKey: { $like: pattern } }, { email: { $like: pattern } }] } : {};
    const total = await this.em.count(User, where);
    const pages = Math.max(1, Math.ceil(total / USERS_PAGE_SIZE));
    const current = Math.min(Math.max(1, page), pages);
    const users = await this.em.find(User, where, {
      orderBy: { createdAt: 'asc', id: 'asc' },
      limit: USERS_PAGE_SIZE,
      offset: (current - 1) * USERS_PAGE_SIZE,
    });
    const counts = await this.photoCounts(users.map((u) => u.id));
    return { users: users.map((user) => ({ user, photoCount: counts.get(user.id) ?? 0 })), total, page: current, pages };
  }

  async find(id: string): Promise<{ user: User; photoCount: number }> {
    const user = UUID.test(id) ? await this.em.findOne(User, { id }) : null;
    if (!user) throw new UserNotFoundException();
    return { user, photoCount: (await this.photoCounts([id])).get(id) ?? 0 };
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

  async sendPasswordReset(id: string): Promise<User> {
    const { user } = await this.find(id);
    await this.resets.request(user.email);
    return user;
  }

  async delete(id: string, confirmation: string): Promise<User> {
    const { user } = await this.find(id);
    if (usernameKeyOf(confirmation) !== user.usernameKey) throw new ConfirmationMismatchError();
    await this.removal.remove(user);
    return user;
  }

  private async change(id: string, apply: (em: EntityManager, user: User) => Promise<void>): Promise<User> {
    if (!UUID.test(id)) throw new UserNotFoundException();
    return this.em.transactional(async (em) => {
      const user = await em.findOne(User, { id });
      if (!user) throw new UserNotFoundException();
      await apply(em, user);
      return user;
    });
  }

  private async photoCounts(ids: string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const rows: Array<{ owner_id: string; photo_count: number | string }> = await this.em
      .getConnection()
      .execute(
        `select owner_id, count(*) as photo_count from photos where status = 'ready' and owner_id in (${ids.map(() => '?').join(', ')}) group by owner_id`,
        ids,
        'all',
      );
    return new Map(rows.map((row) => [row.owner_id, Number(row.photo_count)]));
  }
}
