import { Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { JobHandlers } from './job-handlers';
import { JobQueue } from './job-queue';
import { JobRows } from './job-rows';
import { JOB_SETTINGS, JobSettings, jobSettings } from './job-settings';
import { PAYLOAD_SEAL } from './job-tokens';
import { JobWorkers } from './job-workers';
import { PayloadSeal } from './payload-seal';
import { RecurringJobs } from './recurring-jobs';
import { WakeSignal } from './wake-signal';

/**
 * The background job queue in the app's own database. It knows no feature: features import it, declare their job
 * types, enqueue with JobQueue and register handlers with JobHandlers (or RecurringJobs) in onModuleInit. Workers
 * start once every module is initialised, unless ROLE=web; `npm run cli` (no HTTP server) never runs them.
 */
@Module({
  providers: [
    { provide: JOB_SETTINGS, useFactory: (config: AppConfig) => jobSettings(config), inject: [APP_CONFIG] },
    { provide: PAYLOAD_SEAL, useFactory: (settings: JobSettings) => PayloadSeal.fromSecret(settings.secret), inject: [JOB_SETTINGS] },
    WakeSignal,
    JobRows,
    JobHandlers,
    JobQueue,
    RecurringJobs,
    JobWorkers,
  ],
  exports: [JobQueue, JobHandlers, RecurringJobs, JobWorkers, JobRows],
})
export class JobsModule implements OnApplicationBootstrap {
  constructor(
    private readonly workers: JobWorkers,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(JOB_SETTINGS) private readonly settings: JobSettings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.settings.runsWorkers && this.adapterHost.httpAdapter) await this.workers.start();
  }
}
