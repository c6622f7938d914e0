import { MikroORM, RequestContext } from '@mikro-orm/core';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Clock, CLOCK } from '../common/time/clock';
import { JobHandler, JobHandlers } from './job-handlers';
import { ClaimedJob, JobRows } from './job-rows';
import { JOB_SETTINGS, JobSettings } from './job-settings';
import { PAYLOAD_SEAL } from './job-tokens';
import type { PayloadSeal } from './payload-seal';
import { RECURRING_PREFIX } from './recurring-jobs';
import { WakeSignal } from './wake-signal';

/** The first retry waits this long; each further one twice as long as the one before, up to RETRY_MAX_MS. */
export const RETRY_BASE_MS = 10_000;
export const RETRY_MAX_MS = 60 * 60_000;

/** How long a failed attempt waits before the next: 10 s, 20 s, 40 s… (attempt 1 is the first run), at most an hour. */
export function retryDelayMs(attempt: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempt - 1));
}

/**
 * This process's workers: one loop claims due jobs of the registered types while fewer than JOB_CONCURRENCY run,
 * runs each with its handler, and records the outcome — deleted when done, queued again with exponential backoff
 * when it failed, `failed` with the reason after the handler's last attempt (and then the handler's `onGiveUp`). A running job's lease is renewed every
 * third of its length, so only a dead process lets it expire.
 *
 * `stop` (SIGTERM) ends claiming at once and lets running jobs finish within SHUTDOWN_GRACE_SECONDS; a job still
 * running then keeps its lease and is taken again once that expires (or at once when this instance restarts).
 */
@Injectable()
export class JobWorkers implements OnModuleDestroy {
  private readonly logger = new Logger('Jobs');
  private readonly running = new Set<Promise<void>>();
  private readonly renewals = new Set<NodeJS.Timeout>();
  private idleWaiters: Array<() => void> = [];
  private loop?: Promise<void>;
  private stopping = false;
  private stopped?: Promise<void>;

  constructor(
    private readonly orm: MikroORM,
    private readonly rows: JobRows,
    private readonly handlers: JobHandlers,
    private readonly signal: WakeSignal,
    @Inject(PAYLOAD_SEAL) private readonly seal: PayloadSeal,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(JOB_SETTINGS) private readonly settings: JobSettings,
  ) {}

  get started(): boolean {
    return this.loop !== undefined;
  }

  /** Takes back this instance's leases from before a restart, makes the recurring rows, and starts claiming. */
  async start(): Promise<void> {
    if (this.loop || this.stopping) return;
    const released = await this.rows.releaseLeasesOf(this.settings.instanceId);
    if (released > 0) this.logger.warn({ msg: 'Jobs left running by the previous process queued again', jobs: released });
    const recurring = this.handlers.recurring();
    await this.rows.removeRecurringExcept(
      recurring.map((handler) => handler.type),
      RECURRING_PREFIX,
    );
    for (const handler of recurring) {
      await this.rows.ensureRecurring(handler.type, new Date(this.clock.now().getTime() + handler.repeatEveryMs!));
    }
    this.loop = this.dispatch();
  }

  /** Wakes the workers now, e.g. after moving the clock in a test or when a commit elsewhere is known. */
  wake(): void {
    this.signal.wake();
  }

  /**
   * Resolves once no job runs in this process and none is due: after a look at the table that began after this call.
   * Jobs waiting for a later time (a retry's backoff) do not count. Without workers, at once.
   */
  idle(): Promise<void> {
    if (!this.loop || this.stopping) return Promise.resolve();
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.signal.wake();
    return idle;
  }

  /**
   * Stops claiming at once; resolves when running jobs have finished, or when the grace period is over. Called again
   * (GracefulShutdown, then this module's own shutdown), it waits for the first call only.
   */
  stop(graceMs = this.settings.shutdownGraceMs): Promise<void> {
    this.stopped ??= this.drain(graceMs);
    return this.stopped;
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  private async drain(graceMs: number): Promise<void> {
    this.stopping = true;
    this.signal.wake();
    await this.loop;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
    if (this.running.size === 0) return;
    this.logger.log({ msg: 'Shutting down: waiting for running jobs', jobs: this.running.size });
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
    const outcome = await Promise.race([Promise.all(this.running).then(() => 'finished' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      // Their leases are no longer renewed: they expire, and the jobs run again elsewhere or after the restart.
      for (const renewal of this.renewals) clearInterval(renewal);
      this.renewals.clear();
      this.logger.warn({ msg: 'Grace period over: jobs still running are left to their leases', jobs: this.running.size });
    }
  }

  private async dispatch(): Promise<void> {
    while (!this.stopping) {
      if (this.running.size >= this.settings.concurrency) {
        await this.signal.wait(this.settings.pollMs);
        continue;
      }
      const waiting = [...this.idleWaiters];
      let job: ClaimedJob | null;
      try {
        job = await this.rows.claim(this.handlers.types());
      } catch (error) {
        this.logger.warn({ msg: 'Could not claim a job', error: messageOf(error) });
        await this.signal.wait(this.settings.pollMs);
        continue;
      }
      if (job && this.stopping) {
        // Claimed while stop() began: not started, so it goes back as it was.
        await this.rows.unclaim(job).catch((error) => this.logger.warn({ msg: 'Could not put back a job', error: messageOf(error) }));
        break;
      }
      if (job) {
        this.track(this.run(job));
        continue;
      }
      if (this.running.size === 0) {
        this.idleWaiters = this.idleWaiters.filter((waiter) => !waiting.includes(waiter));
        for (const resolve of waiting) resolve();
      }
      await this.signal.wait(this.settings.pollMs);
    }
  }

  private track(run: Promise<void>): void {
    this.running.add(run);
    void run.finally(() => {
      this.running.delete(run);
      this.signal.wake();
    });
  }

  private async run(job: ClaimedJob): Promise<void> {
    const handler = this.handlers.get(job.type)!;
    const renewal = setInterval(() => {
      this.rows.renew(job).catch((error) => this.logger.warn({ msg: 'Could not renew a lease', type: job.type, error: messageOf(error) }));
    }, this.settings.leaseMs / 3);
    this.renewals.add(renewal);
    const stopRenewing = () => {
      clearInterval(renewal);
      this.renewals.delete(renewal);
    };
    try {
      // Each job in a MikroORM context of its own, as each HTTP request has: services work as they do in a request.
      await RequestContext.create(this.orm.em, () => handler.run(this.payloadOf(handler, job)));
      stopRenewing();
      await this.rows.succeeded(job, handler.repeatEveryMs);
    } catch (error) {
      stopRenewing();
      await this.recordFailure(handler, job, messageOf(error)).catch((recordError) =>
        this.logger.error({ msg: 'Could not record a failed job', type: job.type, error: messageOf(recordError) }),
      );
    }
  }

  /** The type and the error's message only: a payload (an address, a link) never reaches the log. */
  private async recordFailure(handler: JobHandler, job: ClaimedJob, reason: string): Promise<void> {
    const now = this.clock.now().getTime();
    if (handler.repeatEveryMs !== undefined) {
      this.logger.error({ msg: 'Recurring job failed', type: job.type, error: reason });
      await this.rows.failed(job, reason, new Date(now + handler.repeatEveryMs));
      return;
    }
    if (job.attempts >= handler.maxAttempts) {
      this.logger.error({ msg: 'Job failed for good', type: job.type, attempts: job.attempts, error: reason });
      await this.rows.failed(job, reason, null);
      await this.giveUp(handler, job, reason);
      return;
    }
    const delay = retryDelayMs(job.attempts);
    this.logger.warn({ msg: 'Job failed; it will be retried', type: job.type, attempts: job.attempts, retryInMs: delay, error: reason });
    await this.rows.failed(job, reason, new Date(now + delay));
  }

  /** The handler's feature puts its state right; its own failure is logged, the job stays `failed` either way. */
  private async giveUp(handler: JobHandler, job: ClaimedJob, reason: string): Promise<void> {
    if (!handler.onGiveUp) return;
    try {
      await RequestContext.create(this.orm.em, () => handler.onGiveUp!(this.payloadOf(handler, job), reason));
    } catch (error) {
      this.logger.error({ msg: 'Could not give up a job', type: job.type, error: messageOf(error) });
    }
  }

  private payloadOf(handler: JobHandler, job: ClaimedJob): unknown {
    const stored: unknown = JSON.parse(job.payload);
    return handler.sealed ? JSON.parse(this.seal.open((stored as { sealed: string }).sealed)) : stored;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
