import { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { retryOnDeadlock } from '../database/retry-on-deadlock';
import { JobQueue } from '../jobs/job-queue';
import { StorageQuota } from '../users/storage-quota';
import { Photo } from './photo.entity';
import { PROCESS_PHOTO } from './process-photo.job';

/** An account whose bytes used were not the sum of its photos' sizes, and what they are now. */
export interface QuotaCorrection {
  userId: string;
  username: string;
  wasBytes: number;
  nowBytes: number;
}

/**
 * The only writer of photo rows. A row and its bytes in the owner's quota are added and removed together, in one
 * transaction, so an account's bytes used are the sum of its photos' sizes (pending and processing ones included,
 * failed ones not: their bytes go back when they fail) at every moment, and a crash cannot leave bytes counted without
 * their row (the storage check removes interrupted uploads' rows, and their bytes with them).
 */
@Injectable()
export class PhotoRows {
  constructor(
    private readonly em: EntityManager,
    private readonly quota: StorageQuota,
    private readonly jobs: JobQueue,
  ) {}

  /**
   * Writes the photo's row and counts its bytes; false (nothing written) when they would exceed the owner's quota. A
   * failed photo of the same bytes is replaced: its row goes in the same transaction (its bytes were given back when it
   * failed, its blobs removed then).
   */
  async add(photo: Photo): Promise<boolean> {
    return retryOnDeadlock(() =>
      this.em.transactional(async (em) => {
        if (!(await this.quota.reserve(em, photo.ownerId, photo.sizeBytes))) return false;
        await em.nativeDelete(Photo, { ownerId: photo.ownerId, sha256: photo.sha256, status: 'failed' });
        await em.insert(Photo, photo);
        return true;
      }),
    );
  }

  /**
   * The original is stored: the row becomes `processing` and its processing job is written in the same transaction,
   * so a processing photo always has its job and a job never points at a row that did not commit.
   */
  async markProcessing(photo: Photo): Promise<void> {
    await retryOnDeadlock(() =>
      this.em.transactional(async (em) => {
        if ((await em.nativeUpdate(Photo, { id: photo.id, status: 'pending' }, { status: 'processing' })) === 1) {
          this.jobs.enqueue(em, PROCESS_PHOTO, { photoId: photo.id });
        }
      }),
    );
    photo.status = 'processing';
  }

  /** Every rendition is stored; false when the row is no longer processing (deleted meanwhile, or made ready by another run). */
  async markReady(photo: Photo, takenAt: Date | null): Promise<boolean> {
    const updated = await retryOnDeadlock(() =>
      this.em.nativeUpdate(Photo, { id: photo.id, status: 'processing' }, { status: 'ready', takenAt }),
    );
    return updated === 1;
  }

  /**
   * The photo could not be decoded: the row stays (its card tells the owner why) but stops counting against the quota,
   * in one transaction; false when it was no longer processing (nothing given back twice).
   */
  async markFailed(photo: Pick<Photo, 'id' | 'ownerId' | 'sizeBytes'>, reason: string): Promise<boolean> {
    return retryOnDeadlock(() =>
      this.em.transactional(async (em) => {
        await this.quota.lock(em, photo.ownerId);
        const updated = await em.nativeUpdate(Photo, { id: photo.id, status: 'processing' }, { status: 'failed', failureReason: reason });
        if (updated === 0) return false;
        await this.quota.release(em, photo.ownerId, photo.sizeBytes);
        return true;
      }),
    );
  }

  /**
   * Deletes the photo's row and gives its bytes back (a failed photo's were given back when it failed); false when it
   * was already gone (nothing given back twice).
   */
  async remove(photo: Pick<Photo, 'id' | 'ownerId' | 'sizeBytes'>): Promise<boolean> {
    return retryOnDeadlock(() =>
      this.em.transactional(async (em) => {
        await this.quota.lock(em, photo.ownerId);
        const counted = await em.nativeDelete(Photo, { id: photo.id, ownerId: photo.ownerId, status: { $ne: 'failed' } });
        if (counted === 1) await this.quota.release(em, photo.ownerId, photo.sizeBytes);
        return counted === 1 || (await em.nativeDelete(Photo, { id: photo.id, ownerId: photo.ownerId, status: 'failed' })) === 1;
      }),
    );
  }

  /** Every row of the owner, in the caller's transaction (the account is being deleted: no bytes to give back). */
  async deleteAllOf(em: EntityManager, ownerId: string): Promise<void> {
    await em.nativeDelete(Photo, { ownerId });
  }

  /**
   * Makes every account's bytes used the sum of its photos again where they differ. The difference is read in one
   * statement (both sides from one snapshot) and taken off by StorageQuota.correct — unless `correct` is false: then
   * the differences are only returned.
   */
  async recount(correct = true): Promise<QuotaCorrection[]> {
    const rows: Array<{ id: string; username: string; used_bytes: number | string; counted: number | string }> = await this.em
      .getConnection()
      .execute(
        'select id, username, used_bytes, counted from (select u.id, u.username, u.used_bytes, ' +
          "(select coalesce(sum(p.size_bytes), 0) from photos p where p.owner_id = u.id and p.status <> 'failed') as counted from users u) t where used_bytes <> counted",
        [],
        'all',
      );
    const corrections = rows.map((row) => ({
      userId: row.id,
      username: row.username,
      wasBytes: Number(row.used_bytes),
      nowBytes: Number(row.counted),
    }));
    if (correct) for (const { userId, wasBytes, nowBytes } of corrections) await this.quota.correct(userId, wasBytes - nowBytes);
    return corrections;
  }
}
