import { EntityRepository } from '@mikro-orm/core';
import { couldBeAnIdentifier, normaliseEmail, usernameKeyOf } from './account-fields';
import type { User } from './user.entity';

export interface UsersPage {
  users: User[];
  total: number;
  /** The page shown (the one asked for, kept within 1…pages). */
  page: number;
  pages: number;
}

/** Finding accounts. Reads only: every change to a user row goes through UsersService. */
export class UserRepository extends EntityRepository<User> {
  /** Finds an account by email or username, in any letter case (usernames cannot contain "@", emails must), with its hash. */
  async findByIdentifier(identifier: string): Promise<User | null> {
    if (!couldBeAnIdentifier(identifier)) return null;
    const value = identifier.trim();
    const where = value.includes('@') ? { email: normaliseEmail(value) } : { usernameKey: usernameKeyOf(value) };
    return this.findOne(where, { populate: ['passwordHash'] });
  }

  async isUsernameTaken(username: string): Promise<boolean> {
    return (await this.count({ usernameKey: usernameKeyOf(username) })) > 0;
  }

  async isEmailTaken(email: string): Promise<boolean> {
    return (await this.count({ email: normaliseEmail(email) })) > 0;
  }

  /** True until the first account exists. */
  async isEmpty(): Promise<boolean> {
    return (await this.count({})) === 0;
  }

  /** Each id's username; ids of deleted accounts are missing. */
  async usernamesOf(ids: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(ids)];
    const users = unique.length ? await this.find({ id: { $in: unique } }, { fields: ['id', 'username'] }) : [];
    return new Map(users.map((user) => [user.id, user.username]));
  }

  /** Accounts whose username or email contains `query`, oldest first, `size` per page. */
  async search(query: string, page: number, size: number): Promise<UsersPage> {
    // LIKE has no portable escape: `%` and `\` are dropped, and `_` (common in usernames) matches itself or any one
    // character, which only widens the results a little.
    const words = query.trim().toLowerCase().replace(/[%\\]/g, '');
    const pattern = `%${words}%`;
    const where = words ? { $or: [{ usernameKey: { $like: pattern } }, { email: { $like: pattern } }] } : {};
    const total = await this.count(where);
    const pages = Math.max(1, Math.ceil(total / size));
    const current = Math.min(Math.max(1, page), pages);
    const users = await this.find(where, { orderBy: { createdAt: 'asc', id: 'asc' }, limit: size, offset: (current - 1) * size });
    return { users, total, page: current, pages };
  }
}
