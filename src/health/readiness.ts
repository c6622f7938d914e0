import { MikroORM } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { BLOB_STORAGE, BlobStorage } from '../storage/blob-storage.port';

/** Each dependency must answer within this time, or it counts as down. */
export const CHECK_TIMEOUT_MS = 1000;
/** A key that is never written: asking whether it exists is the cheapest round trip to the storage service. */
const STORAGE_PROBE_KEY = 'healthz-probe';

export type DependencyState = 'up' | 'down';

/** The body of GET /healthz/ready: ready when both dependencies are up, never once shutdown has begun. */
export type ReadinessReport = { status: 'ok' | 'error'; db: DependencyState; storage: DependencyState } | { status: 'shutting-down' };

/**
 * Whether this instance should get traffic: its database and its photo storage answer within a second, and it is
 * not shutting down. A load balancer or orchestrator polls it through GET /healthz/ready.
 */
@Injectable()
export class Readiness {
  private stopping = false;

  constructor(
    private readonly orm: MikroORM,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
  ) {}

  /** From now on the instance reports itself not ready (SIGTERM received); there is no way back. */
  beginShutdown(): void {
    this.stopping = true;
  }

  async database(): Promise<DependencyState> {
    return answersWithin(() => this.orm.isConnected());
  }

  async check(): Promise<ReadinessReport> {
    if (this.stopping) return { status: 'shutting-down' };
    const [db, storage] = await Promise.all([
      this.database(),
      answersWithin(() => this.storage.exists(STORAGE_PROBE_KEY).then(() => true)),
    ]);
    // Shutdown may have begun while the checks ran.
    if (this.stopping) return { status: 'shutting-down' };
    return { status: db === 'up' && storage === 'up' ? 'ok' : 'error', db, storage };
  }
}

async function answersWithin(probe: () => Promise<boolean>): Promise<DependencyState> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS)));
  try {
    return (await Promise.race([probe(), timeout])) ? 'up' : 'down';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}
