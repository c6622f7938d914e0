import type { NextFunction, Request, Response } from 'express';

/** An htmx request that wants a fragment (boosted navigation wants the whole page, so it is not one). */
export function wantsFragment(req: Request): boolean {
  return req.get('HX-Request') === 'true' && req.get('HX-Boosted') !== 'true';
}

export function isHtmx(req: Request): boolean {
  return req.get('HX-Request') === 'true';
}

/** Pages and fragments share URLs, so caches must key on the htmx headers. */
export function varyOnHtmx(_req: Request, res: Response, next: NextFunction): void {
  res.vary('HX-Request');
  res.vary('HX-Boosted');
  next();
}
