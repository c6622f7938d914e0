import { EntityManager, EventSubscriber, MikroORM } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { Job } from './job.entity';
import { JobRows } from './job-rows';
import { JobType } from './job-type';
import { PAYLOAD_SEAL } from './job-tokens';
import type { PayloadSeal } from './payload-seal';
import { WakeSignal } from './wake-signal';

/**
 * Where features put background work. A job is added to the caller's unit of work, so it is written in the same
 * transaction as the data it belongs to: never lost when that commits, never left behind when it rolls back. The
 * workers of this process are woken as soon as a transaction that added a job commits.
 */
@Injectable()
export class JobQueue implements EventSubscriber<Job> {
  /** Jobs written by transactions not yet committed, as far as this process knows. */
  private uncommitted = false;

  constructor(
    orm: MikroORM,
    private readonly rows: JobRows,
    private readonly signal: WakeSignal,
    @Inject(PAYLOAD_SEAL) private readonly seal: PayloadSeal,
  ) {
    orm.em.getEventManager().registerSubscriber(this);
  }

  /**
   * Adds a job row to `em` (the caller's transaction / unit of work); it is written when the caller commits, so a
   * rolled-back transaction leaves no job. Workers in this process are woken after the commit.
   */
  enqueue<P>(em: EntityManager, type: JobType<P>, payload: P, options: { runAfter?: Date } = {}): void {
    const json = JSON.stringify(payload);
    this.rows.add(em, type.name, type.sealed ? JSON.stringify({ sealed: this.seal.seal(json) }) : json, options.runAfter);
  }

  /** Enqueues in a unit of work of its own and writes it at once: for work that belongs to no other write. */
  async enqueueNow<P>(em: EntityManager, type: JobType<P>, payload: P, options: { runAfter?: Date } = {}): Promise<void> {
    const fork = em.fork();
    this.enqueue(fork, type, payload, options);
    await fork.flush();
  }

  getSubscribedEntities() {
    return [Job];
  }

  afterCreate(): void {
    this.uncommitted = true;
  }

  afterTransactionCommit(): void {
    if (!this.uncommitted) return;
    this.uncommitted = false;
    this.signal.wake();
  }
}
