import type { Request } from 'express';
import { promisify } from 'node:util';

/*
 * The only places a session is replaced or ended outside of login and logout (at login passport regenerates the
 * session and the login sets a new `authenticatedAt`; logout goes through passport too).
 */

/**
 * After a password change: a new session id, still logged in as `user`, and still ending when the login's session
 * would have — `authenticatedAt` (and "keep me logged in") is carried over, so the lifetime counts from the login.
 */
export async function renewLoggedInSession(req: Request, user: Express.User): Promise<void> {
  const { authenticatedAt, rememberMe } = req.session;
  const lifetimeMs = req.session.cookie.originalMaxAge ?? undefined;
  await promisify(req.login.bind(req))(user); // passport regenerates the session before it logs the user in
  if (authenticatedAt !== undefined) req.session.authenticatedAt = authenticatedAt;
  if (rememberMe) rememberSession(req, lifetimeMs);
}

/**
 * "Keep me logged in": the session lasts `lifetimeMs` (the store's row and the browser's cookie), not the idle timeout;
 * logout, a password change and "sign out everywhere" still end it.
 */
export function rememberSession(req: Request, lifetimeMs: number | undefined): void {
  req.session.rememberMe = true;
  if (lifetimeMs !== undefined) req.session.cookie.maxAge = lifetimeMs;
}

/**
 * The server has just ended this request's session (sign out everywhere, account deleted or disabled, password reset
 * done): its row goes, and the request finishes without a session. None is stored for the message that follows
 * (a visitor's messages go into a cookie), and the browser's old cookie now leads nowhere.
 */
export async function endSession(req: Request): Promise<void> {
  await promisify(req.session.destroy.bind(req.session))();
}
