import { Injectable, OnModuleInit } from '@nestjs/common';
import { RecurringJobs } from '../jobs/recurring-jobs';
import { DatabaseSessionStore } from './database-session.store';

export const PRUNE_SESSIONS_EVERY_MS = 10 * 60_000;

/** Deletes expired session rows every 10 minutes, on one instance at a time (a recurring job). */
@Injectable()
export class SessionPruning implements OnModuleInit {
  constructor(
    private readonly recurring: RecurringJobs,
    private readonly store: DatabaseSessionStore,
  ) {}

  onModuleInit(): void {
    this.recurring.every('prune-sessions', PRUNE_SESSIONS_EVERY_MS, async () => {
      await this.store.prune();
    });
  }
}
