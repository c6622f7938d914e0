import { Injectable } from '@nestjs/common';
import { JobType } from './job-type';

/** Attempts before a job ends `failed`, unless its handler's policy says otherwise. */
export const DEFAULT_MAX_ATTEMPTS = 5;

export interface JobHandler {
  type: string;
  sealed: boolean;
  maxAttempts: number;
  /** Set for recurring jobs: after each run the row waits this long instead of being deleted. */
  repeatEveryMs?: number;
  run(payload: unknown): Promise<void>;
}

/**
 * Which code runs each job type. Features register theirs in onModuleInit; workers claim only the types registered
 * here, so an instance never takes a job it cannot run.
 */
@Injectable()
export class JobHandlers {
  private readonly handlers = new Map<string, JobHandler>();

  register<P>(type: JobType<P>, handler: (payload: P) => Promise<void>, policy: { maxAttempts?: number } = {}): void {
    this.add({
      type: type.name,
      sealed: type.sealed ?? false,
      maxAttempts: policy.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      run: (payload) => handler(payload as P),
    });
  }

  /** RecurringJobs' entry: never fails for good, and runs again `everyMs` after each run. */
  registerRecurring(type: string, everyMs: number, task: () => Promise<void>): void {
    this.add({ type, sealed: false, maxAttempts: Number.POSITIVE_INFINITY, repeatEveryMs: everyMs, run: () => task() });
  }

  get(type: string): JobHandler | undefined {
    return this.handlers.get(type);
  }

  types(): string[] {
    return [...this.handlers.keys()];
  }

  recurring(): JobHandler[] {
    return [...this.handlers.values()].filter((handler) => handler.repeatEveryMs !== undefined);
  }

  private add(handler: JobHandler): void {
    if (this.handlers.has(handler.type)) throw new Error(`A handler for "${handler.type}" is registered already.`);
    this.handlers.set(handler.type, handler);
  }
}
