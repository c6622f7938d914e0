import type { Request } from 'express';

/**
 * Whether this request's session is logged in (passport keeps the user id in it). Unlike `req.user`, this turns false
 * as soon as the session is ended within the request (sign out everywhere, account deleted…).
 */
export function isLoggedIn(req: Request): boolean {
  return req.session?.passport?.user !== undefined;
}
