import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { maskSecretTokens } from '../secret-token';

const logger = new Logger('HTTP');

/**
 * One structured line per request with a request id (also sent as X-Request-Id). Logs the path only, with every
 * token-like part masked (maskSecretTokens): never the query string, bodies, cookies or headers, so passwords,
 * tokens in links and session ids cannot reach the log.
 */
export function requestLogger(req: Request, res: Response, next: NextFunction): void {
  const started = process.hrtime.bigint();
  req.id = randomUUID();
  res.setHeader('X-Request-Id', req.id);
  res.on('close', () => {
    const line = {
      msg: 'request',
      reqId: req.id,
      method: req.method,
      path: maskSecretTokens(req.originalUrl.split('?')[0]),
      status: res.statusCode,
      ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
      userId: req.user?.id,
    };
    // Closed before the answer was sent: the client went away (an upload cancelled), which is not a server error.
    if (res.writableFinished) logger.log(line);
    else logger.warn({ ...line, msg: 'request aborted by the client', status: undefined });
  });
  next();
}
