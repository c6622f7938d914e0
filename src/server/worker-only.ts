import type { NextFunction, Request, Response } from 'express';

/** What a ROLE=worker process answers: an operator's health checks, nothing else. */
const WORKER_PATHS = new Set(['/healthz/live', '/healthz/ready']);

/**
 * For ROLE=worker: the process runs jobs and listens only so it can be health-checked. Every other request is a bare
 * 404 before any middleware (session, CSRF, pages) runs, so a worker never serves the app by mistake.
 */
export function workerOnly(req: Request, res: Response, next: NextFunction): void {
  if ((req.method === 'GET' || req.method === 'HEAD') && WORKER_PATHS.has(req.path)) return next();
  res.status(404).set('Cache-Control', 'no-store').json({ status: 'not-found' });
}
