import { JOB_STATES } from '../../jobs/job.entity';
import { JobRows } from '../../jobs/job-rows';
import { withAppContext } from '../app-context';
import { CliCommand, CliUsageError } from '../cli-command';

/** `jobs`: how many jobs are in each state and why the failed ones failed; `--retry-failed` queues those again. */
export const jobsCommand: CliCommand = {
  name: 'jobs',
  usage: '[--retry-failed]',
  summary:
    "Print how many jobs are queued, running and failed, with each failed job's type and last error; --retry-failed queues them again.",
  run: async (args) => {
    const retry = args.length === 1 && args[0] === '--retry-failed';
    if (args.length > 0 && !retry) throw new CliUsageError(`Unknown argument "${args.join(' ')}".`);
    return withAppContext(async (app) => {
      const rows = app.get(JobRows);
      if (retry) console.log(`Failed jobs queued again: ${await rows.retryFailed()}`);
      const counts = await rows.counts();
      for (const state of JOB_STATES) console.log(`${state} ${counts[state]}`);
      for (const job of await rows.failedJobs()) {
        console.log(`failed ${job.type} after ${job.attempts} attempts: ${oneLine(job.lastError ?? '')}`);
      }
      return 0;
    });
  },
};

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
