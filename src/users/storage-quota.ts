import { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { User } from './user.entity';

export interface StorageUsage {
  usedBytes: number;
  /** null: unlimited. */
  quotaBytes: number | null;
}

/**
 * Per-user storage quotas, counted in bytes of originals, and the `used_bytes` column that counts them. The module that
 * stores the files adds and removes a file's row together with its bytes, in one transaction of its own that calls
 * `reserve` / `release` here, so `used_bytes` is the sum of the owner's file sizes at every moment. `reserve` checks
 * the quota with one conditional UPDATE, so parallel uploads can never store more than the quota between them: of ten
 * racing for the last free slot, exactly one gets it.
 */
@Injectable()
export class StorageQuota {
  constructor(private readonly em: EntityManager) {}

  /** In the caller's transaction: counts `bytes` for the user; false (nothing counted) when they would exceed the quota. */
  async reserve(em: EntityManager, userId: string, bytes: number): Promise<boolean> {
    const counted = await run(
      em,
      'update users set used_bytes = used_bytes + ? where id = ? and (quota_bytes is null or used_bytes + ? <= quota_bytes)',
      [bytes, userId, bytes],
    );
    return counted.affectedRows === 1;
  }

  /**
   * In the caller's transaction, before it touches the file's row: locks the user's row, so a release and a reserve
   * never wait on each other in opposite order (both lock the user first).
   */
  async lock(em: EntityManager, userId: string): Promise<void> {
    await run(em, 'update users set used_bytes = used_bytes where id = ?', [userId]);
  }

  /** In the caller's transaction: gives `bytes` back once their file's row is gone. */
  async release(em: EntityManager, userId: string, bytes: number): Promise<void> {
    await run(em, 'update users set used_bytes = used_bytes - ? where id = ?', [bytes, userId]);
  }

  /**
   * Takes `difference` off the user's bytes used, where something outside the rule above (a crash of an older version,
   * a hand edit) made them differ from the files stored. A difference, not a new total: uploads and deletes running
   * meanwhile change both sides alike and stay counted.
   */
  async correct(userId: string, difference: number): Promise<void> {
    await run(this.em, 'update users set used_bytes = used_bytes - ? where id = ?', [difference, userId]);
  }

  /** Read afresh (a fork, not this request's identity map), since reservations change the row behind its back. */
  async usage(userId: string): Promise<StorageUsage> {
    const user = await this.em.fork().findOneOrFail(User, { id: userId }, { fields: ['usedBytes', 'quotaBytes'] });
    return { usedBytes: user.usedBytes, quotaBytes: user.quotaBytes };
  }
}

/** Whether a file of this size fits in what is left of the quota. */
export function fits(usage: StorageUsage, bytes: number): boolean {
  return usage.quotaBytes === null || usage.usedBytes + bytes <= usage.quotaBytes;
}

function run(em: EntityManager, sql: string, params: unknown[]): Promise<{ affectedRows: number }> {
  return em.getConnection().execute(sql, params, 'run', em.getTransactionContext());
}
