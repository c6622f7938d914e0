import type { NextFunction, Request, Response } from 'express';
import { isLoggedIn } from '../../sessions/logged-in';

/**
 * Nothing a logged-in user is shown stays in the browser's cache, so Back after Logout cannot show a private page.
 * A route that sets its own Cache-Control replaces this: images are `private, immutable` on purpose (their URLs
 * never change and are only found on these pages), and a logout clears them with the rest (clearBrowserCache).
 */
export function noStoreWhenLoggedIn(req: Request, res: Response, next: NextFunction): void {
  if (isLoggedIn(req)) res.set('Cache-Control', 'no-store');
  next();
}

/** Tells the browser to drop everything it cached from this site (the private photos' images included). */
export function clearBrowserCache(res: Response): void {
  res.set('Clear-Site-Data', '"cache"');
}
