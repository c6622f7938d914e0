import { Injectable } from '@nestjs/common';
import { AccountRemovalService } from '../account/account-removal.service';
import { PasswordResetService } from '../auth/password-reset/password-reset.service';
import { PhotosService } from '../photos/photos.service';
import { usernameKeyOf } from '../users/account-fields';
import type { Role } from '../common/http/roles.decorator';
import { User } from '../users/user.entity';
import { UserRepository } from '../users/user.repository';
import { UsersService } from '../users/users.service';

export const USERS_PAGE_SIZE = 20;

export class ConfirmationMismatchError extends Error {
  constructor() {
    super('Type the username exactly to confirm the deletion.');
  }
}

export interface AccountWithPhotos {
  user: User;
  photoCount: number;
}

export interface UsersPage {
  users: AccountWithPhotos[];
  total: number;
  page: number;
  pages: number;
}

/**
 * What an admin does to accounts: find them, then change them through UsersService (every change that could leave
 * no active admin is refused there, LastAdminError) or delete them with AccountRemovalService.
 */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly users: UsersService,
    private readonly userRows: UserRepository,
    private readonly photos: PhotosService,
    private readonly removal: AccountRemovalService,
    private readonly resets: PasswordResetService,
  ) {}

  /** Accounts whose username or email contains `query`, oldest first, a page at a time, with their photo counts. */
  async list(query: string, page: number): Promise<UsersPage> {
    const found = await this.userRows.search(query, page, USERS_PAGE_SIZE);
    const counts = await this.photos.countsByOwner(found.users.map((user) => user.id));
    return { ...found, users: found.users.map((user) => ({ user, photoCount: counts.get(user.id) ?? 0 })) };
  }

  async find(id: string): Promise<AccountWithPhotos> {
    const user = await this.users.get(id);
    return { user, photoCount: (await this.photos.countsByOwner([id])).get(id) ?? 0 };
  }

  setDisabled(id: string, disabled: boolean): Promise<User> {
    return this.users.setDisabled(id, disabled);
  }

  setRole(id: string, role: Role): Promise<User> {
    return this.users.setRole(id, role);
  }

  setQuota(id: string, quotaBytes: number | null): Promise<User> {
    return this.users.setQuota(id, quotaBytes);
  }

  async sendPasswordReset(id: string): Promise<User> {
    const user = await this.users.get(id);
    await this.resets.request(user.email);
    return user;
  }

  /** Deleting needs the username typed again (ConfirmationMismatchError otherwise). */
  async delete(id: string, confirmation: string): Promise<User> {
    const user = await this.users.get(id);
    if (usernameKeyOf(confirmation) !== user.usernameKey) throw new ConfirmationMismatchError();
    return this.removal.remove(user.id);
  }
}
