import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Readiness } from '../health/readiness';
import { JobWorkers } from '../jobs/job-workers';

/**
 * On SIGTERM (Nest's shutdown hooks) and before any other module shuts down: readiness turns 503, the workers stop
 * claiming jobs, the server stops accepting connections and closes idle keep-alive ones, and requests in flight
 * (uploads) and running jobs get SHUTDOWN_GRACE_SECONDS to finish, each response answered with `Connection: close`;
 * whatever request is still open then is cut, and a job still running keeps its lease (taken again once it expires,
 * or when this instance restarts). Only after that do the other modules close the mail transport and the database.
 *
 * It runs in onModuleDestroy of the root module, the first hook Nest calls on shutdown.
 */
@Injectable()
export class GracefulShutdown implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Shutdown');
  private readonly inFlight = new Set<ServerResponse>();
  private draining = false;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly readiness: Readiness,
    private readonly jobs: JobWorkers,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.server()?.on('request', (_req: IncomingMessage, res: ServerResponse) => {
      if (this.draining) res.setHeader('Connection', 'close');
      this.inFlight.add(res);
      res.once('close', () => this.inFlight.delete(res));
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.readiness.beginShutdown();
    await Promise.all([this.jobs.stop(this.config.server.shutdownGraceMs), this.drainServer()]);
  }

  private async drainServer(): Promise<void> {
    const server = this.server();
    if (!server?.listening) return;
    this.draining = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    for (const res of this.inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    this.logger.log({ msg: 'Shutting down: no new connections; waiting for requests in flight', inFlight: this.inFlight.size });

    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), this.config.server.shutdownGraceMs)),
    );
    const outcome = await Promise.race([closed.then(() => 'drained' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn({ msg: 'Grace period over: closing the connections still open', inFlight: this.inFlight.size });
      server.closeAllConnections();
      await closed;
    }
    this.logger.log({ msg: 'Every connection closed' });
  }

  private server(): Server | undefined {
    return this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
  }
}
