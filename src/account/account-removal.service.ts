import { Injectable } from '@nestjs/common';
import { PhotosService } from '../photos/photos.service';
import { InvitationsService } from '../registration/invitations.service';
import { PartialUploads } from '../uploads/partial-uploads';
import type { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';

/**
 * What happens when an account is deleted (by its owner on /account, or by an admin), in order:
 *
 * 1. In one transaction: the last active admin is refused (LastAdminError); its photo rows go (PhotosService), the
 *    invitations it made that were never used stop working (InvitationsService), then its reset links and its row
 *    (UsersService.delete).
 * 2. Every session of the account ends, on every device (UsersService.delete).
 * 3. Its stored files (originals, thumbnails, previews) are deleted (PhotosService.deleteFilesOf); if storage fails
 *    here, only orphan files remain, which storage:check removes.
 * 4. Its unfinished resumable uploads are removed (PartialUploads.discardAllOf); any left expire within 24 hours.
 *
 * Invitations it made that were used keep their row, shown as made by "a deleted account".
 */
@Injectable()
export class AccountRemovalService {
  constructor(
    private readonly users: UsersService,
    private readonly photos: PhotosService,
    private readonly invitations: InvitationsService,
    private readonly partialUploads: PartialUploads,
  ) {}

  async remove(userId: string): Promise<User> {
    const user = await this.users.delete(userId, async (em) => {
      await this.photos.deleteAllOf(em, userId);
      await this.invitations.deleteAllOf(em, userId);
    });
    await this.photos.deleteFilesOf(userId);
    await this.partialUploads.discardAllOf(userId);
    return user;
  }
}
