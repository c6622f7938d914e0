import { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { retryOnDeadlock } from '../database/retry-on-deadlock';
import { User } from '../users/user.entity';
import { Photo } from './photo.entity';
import { humanSize } from './photo.view';

export interface StorageUsage {
  usedBytes: number;
  /** null: unlimited. */
  quotaBytes: number | null;
}

/** What the gallery, the account page and the admin table show about someone's storage. */
export interface StorageUsageView {
  used: string;
  quota: string | null;
  percent: number;
  full: boolean;
  summary: string;
}

/**
 * Per-user storage quotas, counted in bytes of originals. An account's `used_bytes` is the sum of the sizes of its photo
 * rows, pending ones included, at every moment: a row and its bytes are only ever added or removed together, in one
 * transaction. Adding checks the quota with one conditional UPDATE, so parallel uploads can never store more than the
 * quota between them: of ten uploads racing for the last free slot, exactly one gets it. A crash cannot leave bytes
 * counted without their row (the storage check removes interrupted uploads' rows, and their bytes with them).
 */
@Injectable()
export class StorageQuota {
  constructor(private readonly em: EntityManager) {}

  /** Writes the photo's row and counts its bytes; false (nothing written) when they would exceed the owner's quota. */
  async addPhoto(photo: Photo): Promise<boolean> {
    return retryOnDeadlock(() => this.em.transactional(async (em) => {
      const counted = await run(
        em,
        'update users set used_bytes = used_bytes + ? where id = ? and (quota_bytes is null or used_bytes + ? <= quota_bytes)',
        [photo.sizeBytes, photo.ownerId, photo.sizeBytes],
      );
      if (counted.affectedRows !== 1) return false;
      await em.insert(Photo, photo);
      return true;
    }));
  }

  /** Deletes the photo's row and gives its bytes back; false when it was already gone (nothing given back twice). */
  async removePhoto(photo: Pick<Photo, 'id' | 'ownerId' | 'sizeBytes'>): Promise<boolean> {
    return retryOnDeadlock(() => this.em.transactional(async (em) => {
      // The owner's row is locked first, as addPhoto does, so the two never wait on each other in opposite order.
      await run(em, 'update users set used_bytes = used_bytes where id = ?', [photo.ownerId]);
      if ((await em.nativeDelete(Photo, { id: photo.id, ownerId: photo.ownerId })) === 0) return false;
      await run(em, 'update users set used_bytes = used_bytes - ? where id = ?', [photo.sizeBytes, photo.ownerId]);
      return true;
    }));
  }

  /**
   * Makes every account's `used_bytes` the sum of its photos again, where something outside the rule above (a crash of
   * an older version, a hand edit) made them differ. The difference is read in one statement and taken off in another,
   * so uploads and deletes running meanwhile (which change both sides alike) are counted correctly.
   */
  async recount(): Promise<QuotaCorrection[]> {
    const rows: Array<{ id: string; username: string; used_bytes: number | string; counted: number | string }> = await this.em.getConnection().execute(
      'select id, username, used_bytes, counted from (select u.id, u.username, u.used_bytes, ' +
        '(select coalesce(sum(p.size_bytes), 0) from photos p where p.owner_id = u.id) as counted from users u) t where used_bytes <> counted',
      [],
      'all',
    );
    const corrections = rows.map((row) => ({ userId: row.id, username: row.username, wasBytes: Number(row.used_bytes), nowBytes: Number(row.counted) }));
    for (const { userId, wasBytes, nowBytes } of corrections) {
      await this.em.getConnection().execute('update users set used_bytes = used_bytes - ? where id = ?', [wasBytes - nowBytes, userId], 'run');
    }
    return corrections;
  }

  /** Read afresh (a fork, not this request's identity map), since reservations change the row behind its back. */
  async usage(userId: string): Promise<StorageUsage> {
    const user = await this.em.fork().findOneOrFail(User, { id: userId }, { fields: ['usedBytes', 'quotaBytes'] });
    return { usedBytes: user.usedBytes, quotaBytes: user.quotaBytes };
  }

  async usageView(userId: string): Promise<StorageUsageView> {
    return storageUsageView(await this.usage(userId));
  }
}

export function storageUsageView({ usedBytes, quotaBytes }: StorageUsage): StorageUsageView {
  const used = humanSize(usedBytes);
  if (quotaBytes === null) return { used, quota: null, percent: 0, full: false, summary: `${used} used (no limit)` };
  const quota = humanSize(quotaBytes);
  const percent = quotaBytes === 0 ? 100 : Math.min(100, Math.round((usedBytes / quotaBytes) * 100));
  return { used, quota, percent, full: usedBytes >= quotaBytes, summary: `${used} of ${quota} used` };
}

/** Whether a file of this size fits in what is left of the quota. */
export function fits(usage: StorageUsage, bytes: number): boolean {
  return usage.quotaBytes === null || usage.usedBytes + bytes <= usage.quotaBytes;
}

/**
 * Why a file was not stored for lack of space: "… Your storage is full (10 MB of 10 MB used)." when it is, otherwise
 * how large the file is and how much is free: "… it is 3.2 MB and only 1.9 MB of your 10 MB is free."
 */
export function quotaRefusal(name: string, bytes: number, usage: StorageUsage): string {
  const quota = humanSize(usage.quotaBytes ?? 0);
  const free = (usage.quotaBytes ?? 0) - usage.usedBytes;
  if (free <= 0) return `${name} was not stored. Your storage is full (${humanSize(usage.usedBytes)} of ${quota} used).`;
  return `${name} was not stored: it is ${humanSize(bytes)} and only ${humanSize(free)} of your ${quota} is free.`;
}

export interface QuotaCorrection {
  userId: string;
  username: string;
  wasBytes: number;
  nowBytes: number;
}

function run(em: EntityManager, sql: string, params: unknown[]): Promise<{ affectedRows: number }> {
  return em.getConnection().execute(sql, params, 'run', em.getTransactionContext());
}
