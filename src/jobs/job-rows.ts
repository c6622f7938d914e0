import { EntityManager, FilterQuery, LockMode, MikroORM, UniqueConstraintViolationException } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock, CLOCK } from '../common/time/clock';
import { Job, JOB_STATES, JobState } from './job.entity';
import { JOB_SETTINGS, JobSettings } from './job-settings';

/** A job a worker holds: identified by its id and its attempt number, so a lost lease cannot finish someone else's run. */
export interface ClaimedJob {
  id: string;
  type: string;
  payload: string;
  attempts: number;
}

/** Candidates read per claim on SQLite, where a conditional UPDATE decides between workers. */
const SQLITE_CANDIDATES = 8;
/** The longest error kept in last_error. */
const MAX_ERROR_LENGTH = 1000;

/**
 * The only writer of the `jobs` table. Claims are one conditional UPDATE (still queued and due, or running with an
 * expired lease, and at the attempt number read), so two workers never both win one job; on MySQL/MariaDB the
 * candidate is first read with `FOR UPDATE SKIP LOCKED`, so concurrent workers pick different rows instead of
 * queueing on one. Every time comes from the injected clock.
 */
@Injectable()
export class JobRows {
  constructor(
    private readonly orm: MikroORM,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(JOB_SETTINGS) private readonly settings: JobSettings,
  ) {}

  /** A new job in `em`'s unit of work: written when the caller flushes or commits, gone if it rolls back. */
  add(em: EntityManager, type: string, payload: string, runAfter?: Date): void {
    const now = this.clock.now();
    em.create(Job, {
      id: randomUUID(),
      type,
      payload,
      state: 'queued',
      runAfter: runAfter ?? now,
      attempts: 0,
      lastError: null,
      leaseOwner: null,
      leaseUntil: null,
      createdAt: now,
    });
  }

  /** The one row of a recurring job, first due `runAfter`; nothing if any instance made it already. */
  async ensureRecurring(type: string, runAfter: Date): Promise<void> {
    try {
      await this.em().insert(Job, {
        id: type,
        type,
        payload: '{}',
        state: 'queued',
        runAfter,
        attempts: 0,
        lastError: null,
        leaseOwner: null,
        leaseUntil: null,
        createdAt: this.clock.now(),
      });
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    }
  }

  /** Removes waiting rows of recurring jobs no longer registered (a schedule switched off). */
  async removeRecurringExcept(types: string[], prefix: string): Promise<void> {
    await this.em().nativeDelete(Job, { id: { $like: `${prefix}%`, $nin: types }, state: { $ne: 'running' } });
  }

  async claim(types: string[]): Promise<ClaimedJob | null> {
    if (types.length === 0) return null;
    const now = this.clock.now();
    const claimable: FilterQuery<Job> = {
      type: { $in: types },
      $or: [
        { state: 'queued', runAfter: { $lte: now } },
        { state: 'running', leaseUntil: { $lte: now } },
      ],
    };
    const lease = { state: 'running' as const, leaseOwner: this.settings.instanceId, leaseUntil: this.leaseEnd() };
    const take = async (em: EntityManager, candidate: Job): Promise<ClaimedJob | null> => {
      const attempts = candidate.attempts + 1;
      const won = await em.nativeUpdate(Job, { id: candidate.id, attempts: candidate.attempts, ...claimable }, { ...lease, attempts });
      return won === 1 ? { id: candidate.id, type: candidate.type, payload: candidate.payload, attempts } : null;
    };
    if (this.settings.sqlite) {
      const em = this.em();
      for (const candidate of await em.find(Job, claimable, { orderBy: { runAfter: 'asc' }, limit: SQLITE_CANDIDATES })) {
        const claimed = await take(em, candidate);
        if (claimed) return claimed;
      }
      return null;
    }
    return this.em().transactional(async (em) => {
      const [candidate] = await em.find(Job, claimable, {
        orderBy: { runAfter: 'asc' },
        limit: 1,
        lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE,
      });
      return candidate ? take(em, candidate) : null;
    });
  }

  /** Pushes the lease forward while the job runs; false when the lease was lost (expired and claimed again). */
  async renew(job: ClaimedJob): Promise<boolean> {
    return (await this.em().nativeUpdate(Job, this.held(job), { leaseUntil: this.leaseEnd() })) === 1;
  }

  /** Done: deleted, or (a recurring job) queued again `repeatEveryMs` from now. */
  async succeeded(job: ClaimedJob, repeatEveryMs?: number): Promise<void> {
    if (repeatEveryMs === undefined) {
      await this.em().nativeDelete(Job, this.held(job));
      return;
    }
    await this.em().nativeUpdate(Job, this.held(job), {
      ...this.released('queued', this.after(repeatEveryMs)),
      attempts: 0,
      lastError: null,
    });
  }

  /** Queued again at `retryAt` with the reason, or `failed` for good when there is no `retryAt`. */
  async failed(job: ClaimedJob, reason: string, retryAt: Date | null): Promise<void> {
    const lastError = reason.slice(0, MAX_ERROR_LENGTH);
    const row = retryAt ? this.released('queued', retryAt) : this.released('failed', this.clock.now());
    await this.em().nativeUpdate(Job, this.held(job), { ...row, lastError });
  }

  /** A restarted instance's jobs died with its previous process: they are due again at once. */
  async releaseLeasesOf(instanceId: string): Promise<number> {
    return this.em().nativeUpdate(Job, { state: 'running', leaseOwner: instanceId }, this.released('queued', this.clock.now()));
  }

  /** Failed jobs queued again with a fresh count of attempts; how many. */
  async retryFailed(): Promise<number> {
    return this.em().nativeUpdate(Job, { state: 'failed' }, { ...this.released('queued', this.clock.now()), attempts: 0 });
  }

  async counts(): Promise<Record<JobState, number>> {
    const em = this.em();
    const [queued, running, failed] = await Promise.all(JOB_STATES.map((state) => em.count(Job, { state })));
    return { queued, running, failed };
  }

  async failedJobs(): Promise<Array<Pick<Job, 'id' | 'type' | 'lastError' | 'attempts'>>> {
    return this.em().find(Job, { state: 'failed' }, { fields: ['id', 'type', 'lastError', 'attempts'], orderBy: { createdAt: 'asc' } });
  }

  private held(job: ClaimedJob): FilterQuery<Job> {
    return { id: job.id, attempts: job.attempts, state: 'running' };
  }

  private released(state: JobState, runAfter: Date) {
    return { state, runAfter, leaseOwner: null, leaseUntil: null };
  }

  private leaseEnd(): Date {
    return this.after(this.settings.leaseMs);
  }

  private after(ms: number): Date {
    return new Date(this.clock.now().getTime() + ms);
  }

  private em(): EntityManager {
    return this.orm.em.fork();
  }
}
