import { EntityManager, LockMode } from '@mikro-orm/core';
import { LibSqlPlatform } from '@mikro-orm/libsql';
import { User } from './user.entity';

export class LastAdminError extends Error {
  constructor(readonly username: string) {
    super(`${username} is the last active admin. Make someone else an admin first.`);
  }
}

/**
 * Refuses, inside the caller's transaction, a change that would leave no active admin: demoting, disabling or
 * deleting `user` when no other active admin exists. The active admins' rows are locked (MySQL/MariaDB; SQLite runs
 * one write transaction at a time anyway), so two admins demoting each other at once cannot both succeed.
 */
export async function keepAnActiveAdmin(em: EntityManager, user: User): Promise<void> {
  if (user.role !== 'admin' || user.disabledAt) return;
  const lock = em.getPlatform() instanceof LibSqlPlatform ? undefined : LockMode.PESSIMISTIC_WRITE;
  const admins = await em.find(User, { role: 'admin', disabledAt: null }, { fields: ['id'], lockMode: lock });
  if (!admins.some((admin) => admin.id !== user.id)) throw new LastAdminError(user.username);
}
