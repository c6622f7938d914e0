import type { Role } from '../common/http/roles.decorator';
import type { User } from './user.entity';

declare global {
  namespace Express {
    /** The logged-in user as kept on the request: never the entity, never the password hash. */
    interface User {
      id: string;
      username: string;
      email: string;
      role: Role;
    }
  }
}

/** What a request knows of its logged-in user, re-read from the database on every request. */
export function toSessionUser(user: User): Express.User {
  return { id: user.id, username: user.username, email: user.email, role: user.role };
}
