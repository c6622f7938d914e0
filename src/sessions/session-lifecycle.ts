import type { Request } from 'express';
import { promisify } from 'node:util';

/*
 * The only places a session is replaced or ended outside of login and logout (at login passport regenerates the
 * session and the login sets a new `authenticatedAt`; logout goes through passport too).
 */

/**
 * After a password change: a new session id, still logged in as `user`, and still ending when the login's session
 * would have — `authenticatedAt` is carried over, so the absolute lifetime counts from the login, not the change.
 */
export async function renewLoggedInSession(req: Request, user: Express.User): Promise<void> {
  const { authenticatedAt } = req.session;
  await promisify(req.login.bind(req))(user); // passport regenerates the session before it logs the user in
  if (authenticatedAt !== undefined) req.session.authenticatedAt = authenticatedAt;
}

/**
 * The server has just ended this request's session (sign out everywhere, account deleted or disabled, password reset
 * done): its row goes, and the request finishes without a session. None is stored for the message that follows
 * (a visitor's messages go into a cookie), and the browser's old cookie now leads nowhere.
 */
export async function endSession(req: Request): Promise<void> {
  await promisify(req.session.destroy.bind(req.session))();
}
