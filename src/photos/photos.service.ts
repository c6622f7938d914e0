import { EntityManager } from '@mikro-orm/core';
import { Inject, Injectable, Logger, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { isUuid } from '../common/is-uuid';
import { BLOB_STORAGE, BlobDownload, BlobNotFoundError, BlobStorage, StorageUnavailableError } from '../storage/blob-storage.port';
import { decodeCursor, encodeCursor } from './gallery-cursor';
import { Photo, PhotoStatus } from './photo.entity';
import { ownerPrefix, photoKeys, Rendition } from './photo-keys';
import { PhotoRows } from './photo-rows';

export const GALLERY_PAGE_SIZE = 30;
/** The states a gallery card shows; `pending` is an upload still in its request. */
const SHOWN: PhotoStatus[] = ['processing', 'ready', 'failed'];
/** Processing cards one poll asks about: a gallery page and a few upload batches. */
const MAX_WATCHED = 200;
export const STORAGE_UNAVAILABLE = 'Photo storage is unavailable right now. Please try again in a moment.';

export class PhotoNotFoundException extends NotFoundException {
  constructor() {
    super('We could not find that photo. It may have been deleted.');
  }
}

export interface GalleryPage {
  photos: Photo[];
  /** Cursor of the next (older) page, when there is one. */
  next?: string;
}

/**
 * A user's own photos: the gallery, one photo, its bytes, and deleting it. Every lookup is scoped to the owner, so
 * someone else's photo is the same 404 as one that does not exist.
 */
@Injectable()
export class PhotosService {
  private readonly logger = new Logger(PhotosService.name);

  constructor(
    private readonly em: EntityManager,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
    private readonly rows: PhotoRows,
  ) {}

  /** Newest first, by keyset (never OFFSET): as fast on page 1,000 as on page 1. */
  async gallery(ownerId: string, before?: unknown): Promise<GalleryPage> {
    const cursor = decodeCursor(before);
    const older = cursor
      ? { $or: [{ uploadedAt: { $lt: cursor.uploadedAt } }, { uploadedAt: cursor.uploadedAt, id: { $lt: cursor.id } }] }
      : {};
    const order = { uploadedAt: 'desc', id: 'desc' } as const;
    // Ids first, from the (owner, uploaded_at, id, status) index alone; then those rows. Asked for whole rows in one
    // query, MariaDB chose to walk the index from the newest photo and read ~50,000 entries for a page that deep.
    const page = await this.em.find(
      Photo,
      { ownerId, status: { $ne: 'pending' }, ...older },
      { fields: ['id'], orderBy: order, limit: GALLERY_PAGE_SIZE + 1 },
    );
    const photos = page.length ? await this.em.find(Photo, { id: { $in: page.map((p) => p.id) } }, { orderBy: order }) : [];
    const more = photos.length > GALLERY_PAGE_SIZE;
    const shown = photos.slice(0, GALLERY_PAGE_SIZE);
    return { photos: shown, next: more ? encodeCursor(shown[shown.length - 1]) : undefined };
  }

  /** A ready photo of the owner: the only kind whose page and images are served. */
  async findOwned(ownerId: string, id: string): Promise<Photo> {
    return this.findIn(ownerId, id, ['ready']);
  }

  /** A photo of the owner in any state the gallery shows (processing, ready or failed): what can be deleted. */
  async findShown(ownerId: string, id: string): Promise<Photo> {
    return this.findIn(ownerId, id, SHOWN);
  }

  /** Those of the given photos of the owner that are no longer processing (the rest are still being worked on). */
  async doneProcessing(ownerId: string, ids: string[]): Promise<{ done: Photo[]; stillProcessing: number }> {
    const valid = ids.filter(isUuid).slice(0, MAX_WATCHED);
    const photos = valid.length ? await this.em.find(Photo, { id: { $in: valid }, ownerId, status: { $in: SHOWN } }) : [];
    const done = photos.filter((photo) => photo.status !== 'processing');
    return { done, stillProcessing: photos.length - done.length };
  }

  private async findIn(ownerId: string, id: string, states: PhotoStatus[]): Promise<Photo> {
    const photo = isUuid(id) ? await this.em.findOne(Photo, { id, ownerId, status: { $in: states } }) : null;
    if (!photo) throw new PhotoNotFoundException();
    return photo;
  }

  /** The bytes of one of the photo's renditions, streamed from storage. */
  async blob(photo: Photo, rendition: Rendition): Promise<BlobDownload> {
    try {
      return await this.storage.get(photoKeys(photo)[rendition]);
    } catch (error) {
      if (error instanceof BlobNotFoundError) throw new PhotoNotFoundException();
      if (error instanceof StorageUnavailableError) throw new ServiceUnavailableException(STORAGE_UNAVAILABLE);
      throw error;
    }
  }

  /** How many ready photos each of these owners has (owners without any are missing). */
  async countsByOwner(ownerIds: string[]): Promise<Map<string, number>> {
    if (ownerIds.length === 0) return new Map();
    const rows: Array<{ owner_id: string; photo_count: number | string }> = await this.em
      .getConnection()
      .execute(
        `select owner_id, count(*) as photo_count from photos where status = 'ready' and owner_id in (${ownerIds.map(() => '?').join(', ')}) group by owner_id`,
        ownerIds,
        'all',
      );
    return new Map(rows.map((row) => [row.owner_id, Number(row.photo_count)]));
  }

  /** An account is being deleted: all of its photo rows, in the caller's transaction. Then call `deleteFilesOf`. */
  async deleteAllOf(em: EntityManager, ownerId: string): Promise<void> {
    await this.rows.deleteAllOf(em, ownerId);
  }

  /**
   * Once the rows are gone (committed): every blob of the owner. A storage failure leaves only orphan blobs, which
   * storage:check removes, so it is logged and not thrown.
   */
  async deleteFilesOf(ownerId: string): Promise<void> {
    try {
      const keys: string[] = [];
      for await (const blob of this.storage.list(ownerPrefix(ownerId))) keys.push(blob.key);
      for (const key of keys) await this.storage.delete(key);
    } catch (error) {
      this.logger.warn({
        msg: 'Account deleted but some blobs were not; storage:check will remove them',
        userId: ownerId,
        error: String(error),
      });
    }
  }

  /**
   * Removes the row first (its bytes given back with it), then the blobs: a failure in between leaves only an orphan
   * blob (which storage:check removes), never a row without its bytes.
   */
  async delete(ownerId: string, id: string): Promise<Photo> {
    const photo = await this.findShown(ownerId, id);
    if (!(await this.rows.remove(photo))) throw new PhotoNotFoundException();
    const results = await Promise.allSettled(Object.values(photoKeys(photo)).map((key) => this.storage.delete(key)));
    if (results.some((r) => r.status === 'rejected')) {
      this.logger.warn({ msg: 'Photo deleted but some blobs were not; storage:check will remove them', photoId: photo.id });
    }
    return photo;
  }
}
