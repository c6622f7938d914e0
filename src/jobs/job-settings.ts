import { AppConfig } from '../config/app-config';

/** What the jobs module needs to know about this process, taken from AppConfig (tests build their own). */
export interface JobSettings {
  /** Written as a running job's lease owner; a restarting instance takes back its own leases at once. */
  instanceId: string;
  /** Whether this process runs workers: `web` only enqueues. */
  runsWorkers: boolean;
  concurrency: number;
  pollMs: number;
  /** How long a claim holds a job; a running job's lease is renewed every third of it. */
  leaseMs: number;
  /** After SIGTERM, jobs running may finish within this time. */
  shutdownGraceMs: number;
  /** SQLite has no SKIP LOCKED: its single writer makes the conditional UPDATE enough. */
  sqlite: boolean;
  /** Key material for sealed payloads (SESSION_SECRET, the same on every instance). */
  secret: string;
}

export const JOB_SETTINGS = Symbol('JOB_SETTINGS');

/** A crashed worker's job is taken again by another instance a minute after its last renewal. */
export const LEASE_MS = 60_000;

export function jobSettings(config: AppConfig): JobSettings {
  return {
    instanceId: config.instanceId,
    runsWorkers: config.role !== 'web',
    concurrency: config.jobs.concurrency,
    pollMs: config.jobs.pollMs,
    leaseMs: LEASE_MS,
    shutdownGraceMs: config.server.shutdownGraceMs,
    sqlite: config.database.driver === 'sqlite',
    secret: config.sessionSecret,
  };
}
