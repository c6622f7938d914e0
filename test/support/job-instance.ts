import { MikroORM } from '@mikro-orm/core';
import { JobHandlers } from '../../src/jobs/job-handlers';
import { JobQueue } from '../../src/jobs/job-queue';
import { JobRows } from '../../src/jobs/job-rows';
import { JobSettings, LEASE_MS } from '../../src/jobs/job-settings';
import { JobWorkers } from '../../src/jobs/job-workers';
import { PayloadSeal } from '../../src/jobs/payload-seal';
import { RecurringJobs } from '../../src/jobs/recurring-jobs';
import { WakeSignal } from '../../src/jobs/wake-signal';
import { FakeClock } from './fake-clock';

export const TEST_SECRET = 'a-test-secret-of-at-least-32-characters!';

/** The jobs module's parts as one instance wires them, on its own ORM (its own connections), without Nest. */
export interface JobInstance {
  rows: JobRows;
  handlers: JobHandlers;
  queue: JobQueue;
  recurring: RecurringJobs;
  workers: JobWorkers;
}

export async function jobInstance(
  orm: MikroORM,
  clock: FakeClock,
  settings: Partial<JobSettings> & Pick<JobSettings, 'sqlite'>,
): Promise<JobInstance> {
  const all: JobSettings = {
    instanceId: 'instance-a',
    runsWorkers: true,
    concurrency: 4,
    // Polling never drives these tests: commits and wake() do.
    pollMs: 60_000,
    leaseMs: LEASE_MS,
    shutdownGraceMs: 5_000,
    secret: TEST_SECRET,
    ...settings,
  };
  const seal = await PayloadSeal.fromSecret(all.secret);
  const signal = new WakeSignal();
  const rows = new JobRows(orm, clock, all);
  const handlers = new JobHandlers();
  return {
    rows,
    handlers,
    queue: new JobQueue(orm, rows, signal, seal),
    recurring: new RecurringJobs(handlers),
    workers: new JobWorkers(orm, rows, handlers, signal, seal, clock, all),
  };
}
