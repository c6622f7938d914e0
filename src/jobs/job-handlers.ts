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
  /** Called once when the job ends `failed` for good, with its payload and the last attempt's error. */
  onGiveUp?(payload: unknown, lastError: string): Promise<void>;
}

/** How a job type is run: how many attempts it gets, and what its feature does when the last one has failed. */
export interface JobPolicy<P> {
  maxAttempts?: number;
  /** Puts the feature's own state right once the job is given up (runs once, after the last attempt failed). */
  onGiveUp?: (payload: P, lastError: string) => Promise<void>;
}

/**
 * Which code runs each job type. Features register theirs in onModuleInit; workers claim only the types registered
 * here, so an instance never takes a job it cannot run.
 */
@Injectable()
export class JobHandlers {
  private readonly handlers = new Map<string, JobHandler>();

  register<P>(type: JobType<P>, handler: (payload: P) => Promise<void>, policy: JobPolicy<P> = {}): void {
    const { onGiveUp } = policy;
    this.add({
      type: type.name,
      sealed: type.sealed ?? false,
      maxAttempts: policy.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      run: (payload) => handler(payload as P),
      onGiveUp: onGiveUp && ((payload, lastError) => onGiveUp(payload as P, lastError)),
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
