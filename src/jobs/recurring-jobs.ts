import { Injectable } from '@nestjs/common';
import { JobHandlers } from './job-handlers';

/** The type (and the id of the one row) of a recurring job is this prefix and its name. */
export const RECURRING_PREFIX = 'recurring:';

/**
 * Work that repeats (session pruning, the storage check): each has one row in the jobs table, claimed like any job,
 * so it runs on exactly one instance at a time, and queued again `intervalMs` after each run — a failed run too (the
 * reason stays in last_error and the log). The first run is `intervalMs` after the row is first made.
 */
@Injectable()
export class RecurringJobs {
  constructor(private readonly handlers: JobHandlers) {}

  every(name: string, intervalMs: number, task: () => Promise<void>): void {
    if (!(intervalMs > 0)) throw new Error(`A recurring job needs a positive interval (got ${intervalMs} for "${name}").`);
    this.handlers.registerRecurring(`${RECURRING_PREFIX}${name}`, intervalMs, task);
  }
}
