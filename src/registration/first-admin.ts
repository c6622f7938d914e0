import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/core';
import { Setting } from '../settings/setting.entity';
import { User } from '../users/user.entity';
import type { Role } from '../common/http/roles.decorator';

/**
 * The row whose insertion makes an account the instance's first admin. Two first registrations at the same moment
 * both count no account; the primary key lets only one of them claim it (the other waits for it and becomes a user).
 * No account can be deleted while it is the last admin, so a claimed instance always has its admin.
 */
const FIRST_ADMIN_CLAIM = 'first-admin-claimed';

/** The role of an account being created in `em`'s transaction: admin for the instance's first account, else user. */
export function firstAccountIsAdmin(now: Date) {
  return async (em: EntityManager): Promise<Role> => {
    if ((await em.count(User, {})) > 0) return 'user';
    try {
      await em.insert(Setting, { name: FIRST_ADMIN_CLAIM, value: now.toISOString() });
      return 'admin';
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) return 'user';
      throw error;
    }
  };
}
