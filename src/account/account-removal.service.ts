import { EntityManager } from '@mikro-orm/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { PasswordReset } from '../auth/password-reset/password-reset.entity';
import { Photo } from '../photos/photo.entity';
import { Invitation } from '../registration/invitation.entity';
import { DatabaseSessionStore } from '../sessions/database-session.store';
import { BLOB_STORAGE, BlobStorage } from '../storage/blob-storage.port';
import { keepAnActiveAdmin } from '../users/last-admin';
import { User } from '../users/user.entity';

/**
 * Deletes an account with everything it owns: photos (rows, then every blob under the user's prefix), reset links,
 * unused invitations it made, and every session. The last active admin cannot be deleted (LastAdminError).
 */
@Injectable()
export class AccountRemovalService {
  private readonly logger = new Logger(AccountRemovalService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly sessions: DatabaseSessionStore,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
  ) {}

  async remove(user: User): Promise<void> {
    await this.em.transactional(async (em) => {
      await keepAnActiveAdmin(em, user);
      await em.nativeDelete(Photo, { ownerId: user.id });
      await em.nativeDelete(PasswordReset, { userId: user.id });
      await em.nativeDelete(Invitation, { createdById: user.id, usedAt: null });
      await em.nativeDelete(User, { id: user.id });
    });
    await this.sessions.destroyAllOf(user.id);
    await this.removeBlobs(user.id);
  }

  /** Rows go first, so a storage failure here leaves only orphan blobs, which storage:check removes. */
  private async removeBlobs(userId: string): Promise<void> {
    try {
      const keys: string[] = [];
      for await (const blob of this.storage.list(`${userId}/`)) keys.push(blob.key);
      for (const key of keys) await this.storage.delete(key);
    } catch (error) {
      this.logger.warn({ msg: 'Account deleted but some blobs were not; storage:check will remove them', userId, error: String(error) });
    }
  }
}
