import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../common/http/public.decorator';
import { Readiness } from './readiness';

/** Health checks for load balancers and orchestrators; never cached, no login needed. */
@Controller('healthz')
export class HealthController {
  constructor(private readonly readiness: Readiness) {}

  /** `{"status":"ok","db":"up"}` with 200, or 503 with `"db":"down"` when the database does not answer within 1 s. */
  @Public()
  @Get()
  async health(@Res() res: Response) {
    const db = await this.readiness.database();
    send(res, db === 'up', { status: db === 'up' ? 'ok' : 'error', db });
  }

  /** The process runs and its event loop answers; depends on nothing, so a database outage never restarts it. */
  @Public()
  @Get('live')
  live(@Res() res: Response) {
    send(res, true, { status: 'ok' });
  }

  /** Database and storage each answer within 1 s, and no shutdown has begun; otherwise 503 naming what failed. */
  @Public()
  @Get('ready')
  async ready(@Res() res: Response) {
    const report = await this.readiness.check();
    send(res, report.status === 'ok', report);
  }
}

function send(res: Response, healthy: boolean, body: object): void {
  res
    .status(healthy ? 200 : 503)
    .set('Cache-Control', 'no-store')
    .json(body);
}
