import { Injectable, Logger } from '@nestjs/common';

/**
 * Work done after a request has been answered (queued mail, issuing a reset link), so the answer takes the same
 * time whatever the work is. Every task is tracked until it settles, so shutdown (and a test) can wait for all of
 * them, and a task that fails is logged, never lost silently.
 */
@Injectable()
export class BackgroundTasks {
  private readonly logger = new Logger('Background');
  private readonly running = new Set<Promise<void>>();

  /**
   * Runs `task` once `after` has settled (e.g. the response has gone out) and returns at once. A failure is logged
   * with `what` and the error's message only: a task's arguments (an email address, a link) never reach the log.
   */
  run(what: string, task: () => Promise<void>, after: Promise<unknown> = Promise.resolve()): void {
    const settled = after
      .then(() => task())
      .catch((error: unknown) =>
        this.logger.error({ msg: 'Background task failed', task: what, error: error instanceof Error ? error.message : String(error) }),
      );
    this.running.add(settled);
    void settled.finally(() => this.running.delete(settled));
  }

  /** Resolves once every task has settled, including tasks started meanwhile (a task may start another). */
  async idle(): Promise<void> {
    while (this.running.size > 0) {
      await Promise.all(this.running);
    }
  }
}
