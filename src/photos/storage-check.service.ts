import { EntityManager } from '@mikro-orm/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock, CLOCK } from '../common/time/clock';
import { BLOB_STORAGE, BlobStorage } from '../storage/blob-storage.port';
import { Photo } from './photo.entity';
import { photoIdOfKey, photoKeys } from './photo-keys';
import { PhotoRows, QuotaCorrection } from './photo-rows';

/** Uploads still `pending` after this long were interrupted (crash, kill -9) and are cleaned up. */
export const STALE_PENDING_MS = 15 * 60_000;

export interface StorageCheckOptions {
  /**
   * Given at start-up: this instance's pending uploads from before `startedAt` died with its previous process, so they
   * are removed at once rather than after 15 minutes. Other instances' uploads (they may be live) keep the 15 minutes.
   */
  restarted?: { instanceId: string; startedAt: Date };
  /**
   * Count what disagrees and change nothing: the scheduled check (STORAGE_CHECK_HOURS). Storage listed while uploads
   * and deletes run elsewhere may disagree with the database for a moment, so only an operator's `npm run
   * storage:check` (or the start-up check) removes anything.
   */
  reportOnly?: boolean;
}
const BATCH = 500;

/** What was found — and, unless the check was `reportOnly`, removed or corrected. */
export interface StorageReport {
  /** Blobs with no photo row: removed. */
  orphanBlobs: number;
  /** Ready photos missing one of their blobs: their rows and remaining blobs removed. */
  missingBlobs: number;
  /** Interrupted uploads (pending for 15 minutes, or this instance's from before its restart): rows and blobs removed. */
  stalePending: number;
  /** Accounts whose bytes used were not the sum of their photos' sizes: set to it. */
  usageCorrected: QuotaCorrection[];
}

/**
 * Makes storage and database agree again after crashes or partial failures: every blob belongs to a photo row,
 * every ready photo has all of its blobs, and every account's bytes used are the sum of its photos' sizes. Run at
 * start-up and by `npm run storage:check`.
 */
@Injectable()
export class StorageCheckService {
  private readonly logger = new Logger('StorageCheck');

  constructor(
    private readonly em: EntityManager,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly rows: PhotoRows,
  ) {}

  async run(options: StorageCheckOptions = {}): Promise<StorageReport> {
    const em = this.em.fork();
    const report: StorageReport = { orphanBlobs: 0, missingBlobs: 0, stalePending: 0, usageCorrected: [] };

    const cutoff = new Date(this.clock.now().getTime() - STALE_PENDING_MS);
    const { restarted, reportOnly = false } = options;
    const stale = await em.find(Photo, {
      status: 'pending',
      $or: [
        { uploadedAt: { $lt: cutoff } },
        ...(restarted ? [{ uploader: restarted.instanceId, uploadedAt: { $lt: restarted.startedAt } }] : []),
      ],
    });
    if (!reportOnly) for (const photo of stale) await this.remove(photo);
    report.stalePending = stale.length;

    const blobsByPhoto = new Map<string, string[]>();
    for await (const blob of this.storage.list('')) {
      const photoId = photoIdOfKey(blob.key);
      blobsByPhoto.set(photoId, [...(blobsByPhoto.get(photoId) ?? []), blob.key]);
    }

    const ids = [...blobsByPhoto.keys()];
    for (let i = 0; i < ids.length; i += BATCH) {
      const known = new Set((await em.find(Photo, { id: { $in: ids.slice(i, i + BATCH) } }, { fields: ['id'] })).map((p) => p.id));
      for (const id of ids.slice(i, i + BATCH).filter((id) => !known.has(id))) {
        if (!reportOnly) for (const key of blobsByPhoto.get(id)!) await this.storage.delete(key);
        report.orphanBlobs += blobsByPhoto.get(id)!.length;
      }
    }

    // Only photos older than any upload still in flight: their blobs were all written before the listing began.
    for (let after = ''; ;) {
      const ready = await em.find(
        Photo,
        { status: 'ready', uploadedAt: { $lt: cutoff }, id: { $gt: after } },
        { orderBy: { id: 'asc' }, limit: BATCH },
      );
      const broken = ready.filter((photo) => {
        const stored = new Set(blobsByPhoto.get(photo.id) ?? []);
        return Object.values(photoKeys(photo)).some((key) => !stored.has(key));
      });
      if (!reportOnly) for (const photo of broken) await this.remove(photo);
      report.missingBlobs += broken.length;
      if (ready.length < BATCH) break;
      after = ready[ready.length - 1].id;
    }

    // Last, once the removals above have given their bytes back.
    report.usageCorrected = await this.rows.recount(!reportOnly);
    const usageCorrected = report.usageCorrected.map(({ userId, wasBytes, nowBytes }) => ({ userId, wasBytes, nowBytes }));
    const found = report.orphanBlobs + report.missingBlobs + report.stalePending + usageCorrected.length > 0;
    if (reportOnly && found) this.logger.warn({ msg: 'Storage check found disagreements (nothing changed)', ...report, usageCorrected });
    else this.logger.log({ msg: 'Storage check finished', reportOnly, ...report, usageCorrected });
    return report;
  }

  private async remove(photo: Photo): Promise<void> {
    await this.rows.remove(photo);
    for (const key of Object.values(photoKeys(photo))) await this.storage.delete(key);
  }
}
