import { Injectable, OnModuleInit } from '@nestjs/common';
import { RecurringJobs } from '../jobs/recurring-jobs';
import { PartialUploads } from './partial-uploads';

export const REMOVE_EXPIRED_UPLOADS_EVERY_MS = 60 * 60_000;

/** Removes partial uploads past their 24 hours every hour, on one instance at a time (a recurring job). */
@Injectable()
export class ExpiredUploads implements OnModuleInit {
  constructor(
    private readonly recurring: RecurringJobs,
    private readonly partials: PartialUploads,
  ) {}

  onModuleInit(): void {
    this.recurring.every('remove-expired-uploads', REMOVE_EXPIRED_UPLOADS_EVERY_MS, async () => {
      await this.partials.removeExpired();
    });
  }
}
