import { Injectable } from '@nestjs/common';
import type { Profile } from '../users/account-fields';
import type { NewPassword } from '../users/password-policy';
import { User } from '../users/user.entity';
import { UserRepository } from '../users/user.repository';
import { UsersService } from '../users/users.service';
import { DatabaseSessionStore } from '../sessions/database-session.store';
import { AccountRemovalService } from './account-removal.service';

export const WRONG_CURRENT_PASSWORD = 'Your current password is not correct.';

/** The current password given with a change was wrong; nothing was changed. */
export class WrongCurrentPasswordError extends Error {
  constructor() {
    super(WRONG_CURRENT_PASSWORD);
  }
}

/**
 * What people do to their own account. Every change needs the current password (WrongCurrentPasswordError);
 * what follows each change is UsersService's (and AccountRemovalService's) to decide.
 */
@Injectable()
export class AccountService {
  constructor(
    private readonly users: UsersService,
    private readonly userRows: UserRepository,
    private readonly sessions: DatabaseSessionStore,
    private readonly removal: AccountRemovalService,
  ) {}

  async account(userId: string): Promise<User> {
    return this.userRows.findOneOrFail({ id: userId });
  }

  async updateProfile(userId: string, currentPassword: string, change: Profile): Promise<void> {
    await this.checkPassword(userId, currentPassword);
    await this.users.changeProfile(userId, change);
  }

  /** Every session ends, this one too (the controller gives this browser a new one). */
  async changePassword(userId: string, currentPassword: string, input: NewPassword): Promise<void> {
    await this.checkPassword(userId, currentPassword);
    await this.users.changePassword(userId, input);
  }

  async signOutEverywhere(userId: string): Promise<void> {
    await this.sessions.destroyAllOf(userId);
  }

  /** Deletes the account with everything it owns; the last active admin is refused (LastAdminError). */
  async delete(userId: string, currentPassword: string): Promise<void> {
    await this.checkPassword(userId, currentPassword);
    await this.removal.remove(userId);
  }

  private async checkPassword(userId: string, password: string): Promise<void> {
    if (!(await this.users.verifyPassword(userId, password))) throw new WrongCurrentPasswordError();
  }
}
