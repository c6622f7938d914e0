import type { Request } from 'express';

/**
 * Whether this request's session is logged in (passport keeps the user id in it). Unlike `req.user`, this turns false
 * as soon as the session is ended or regenerated logged out within the request.
 */
export function isLoggedIn(req: Request): boolean {
  return req.session?.passport?.user !== undefined;
}
