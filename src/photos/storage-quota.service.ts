import { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { User } from '../users/user.entity';
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
 * Per-user storage quotas, counted in bytes of originals. An upload reserves its bytes with one conditional UPDATE
 * before anything is written, so parallel uploads can never store more than the quota between them: of ten uploads
 * racing for the last free slot, exactly one gets it. Failed, duplicate and deleted photos give their bytes back.
 */
@Injectable()
export class StorageQuota {
  constructor(private readonly em: EntityManager) {}

  /** True when the bytes fit and are now counted as used; false when they would exceed the quota. */
  async reserve(userId: string, bytes: number): Promise<boolean> {
    const result = await this.em
      .getConnection()
      .execute(
        'update users set used_bytes = used_bytes + ? where id = ? and (quota_bytes is null or used_bytes + ? <= quota_bytes)',
        [bytes, userId, bytes],
        'run',
      );
    return result.affectedRows === 1;
  }

  async release(userId: string, bytes: number): Promise<void> {
    await this.em.getConnection().execute('update users set used_bytes = used_bytes - ? where id = ?', [bytes, userId], 'run');
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

/** The words every refused upload uses: "Your storage is full (9.8 MB of 10 MB used)". */
export function storageFullMessage(usage: StorageUsage): string {
  return `Your storage is full (${humanSize(usage.usedBytes)} of ${humanSize(usage.quotaBytes ?? 0)} used).`;
}
