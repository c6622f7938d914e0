import type { Request } from 'express';
import { promisify } from 'node:util';

/**
 * The one way a session is replaced outside of the login itself (where passport regenerates it and the login sets a
 * new `authenticatedAt`). The old session's row is deleted and the request goes on under a new session id.
 *
 * - `loggedInAs` given (a password change): the new session is logged in as that user and keeps `authenticatedAt`,
 *   so its absolute lifetime still counts from the login, not from the change.
 * - without it (the server has just ended this session: sign out everywhere, account deleted or disabled, password
 *   reset): the new session is logged out and carries nothing over; it is stored only if something is put in it.
 */
export async function regenerateSession(req: Request, loggedInAs?: Express.User): Promise<void> {
  if (!loggedInAs) {
    await promisify(req.session.regenerate.bind(req.session))();
    return;
  }
  const { authenticatedAt } = req.session;
  await promisify(req.login.bind(req))(loggedInAs); // passport regenerates the session before it logs the user in
  if (authenticatedAt !== undefined) req.session.authenticatedAt = authenticatedAt;
}
