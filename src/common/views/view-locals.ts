import type { NextFunction, Request, Response } from 'express';
import { CsrfTokens } from '../csrf/csrf-tokens';
import { takeFlash } from '../flash/flash';

/**
 * What every page's layout needs: the current user (a view model), the CSRF token for forms and htmx, and the
 * flash messages. Token and messages are computed only when a page is actually rendered.
 */
export function viewLocals(csrfTokens: CsrfTokens) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.locals.currentUser = req.user ? { username: req.user.username, isAdmin: req.user.role === 'admin' } : null;
    Object.defineProperties(res.locals, {
      csrfToken: { enumerable: true, get: () => csrfTokens.tokenFor(req, res) },
      flash: { enumerable: true, get: () => takeFlash(req, res) },
    });
    next();
  };
}
