import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/** `queued` waits for its run-after time, `running` is leased by a worker, `failed` gave up after its last attempt. */
export const JOB_STATES = ['queued', 'running', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

/**
 * One unit of background work. A job that succeeds is deleted, so the table holds only work still to do and work that
 * failed for good. A running job's lease names the instance holding it and until when; once the lease has expired any
 * worker may claim the job again (handlers are idempotent). Written only by JobRows.
 */
@Entity({ tableName: 'jobs' })
@Index({ properties: ['state', 'runAfter'] })
@Index({ properties: ['state', 'leaseUntil'] })
export class Job {
  /** A UUID, or `recurring:<name>` for the one row of a recurring job. */
  @PrimaryKey({ type: 'string', length: 100 })
  id: string;

  @Property({ type: 'string', length: 100 })
  type: string;

  /** The handler's input as JSON (sealed for job types that carry secrets). */
  @Property({ type: 'text' })
  payload: string;

  @Property({ type: 'string', length: 16 })
  state: JobState;

  @Property({ type: 'datetime', length: 3 })
  runAfter: Date;

  /** Claims so far, the current one included. */
  @Property({ type: 'integer' })
  attempts: number;

  @Property({ type: 'text', nullable: true })
  lastError: string | null;

  /** The INSTANCE_ID of the worker holding the job while it runs. */
  @Property({ type: 'string', length: 64, nullable: true })
  leaseOwner: string | null;

  @Property({ type: 'datetime', length: 3, nullable: true })
  leaseUntil: Date | null;

  @Property({ type: 'datetime', length: 3 })
  createdAt: Date;
}
