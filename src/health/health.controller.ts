import { MikroORM } from '@mikro-orm/core';
import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../common/http/public.decorator';

const DB_TIMEOUT_MS = 1000;

@Controller()
export class HealthController {
  constructor(private readonly orm: MikroORM) {}

  /** `{"status":"ok","db":"up"}` with 200, or 503 with `"db":"down"` when the database does not answer within 1 s. */
  @Public()
  @Get('healthz')
  async health(@Res() res: Response) {
    const db = (await this.databaseAnswers()) ? 'up' : 'down';
    res.status(db === 'up' ? 200 : 503).set('Cache-Control', 'no-store').json({ status: db === 'up' ? 'ok' : 'error', db });
  }

  private async databaseAnswers(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), DB_TIMEOUT_MS)));
    try {
      return await Promise.race([this.orm.isConnected(), timeout]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
