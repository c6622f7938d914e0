import session from 'express-session';
import { AppConfig } from '../config/app-config';
import { DatabaseSessionStore } from './database-session.store';
import { sessionCookie } from './session-cookie';

/**
 * express-session on the database store. The cookie rolls: each response pushes the idle timeout forward.
 * Nothing is stored for a visitor until there is something to remember: a login, or a reset or invitation token taken
 * out of the URL. Page views, forms and their CSRF tokens, and messages for the next page need no session (see
 * CsrfTokens and flash).
 */
export function sessionMiddleware(config: AppConfig, store: DatabaseSessionStore) {
  const cookie = sessionCookie(config);
  return session({
    name: cookie.name,
    secret: config.sessionSecret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: cookie.options,
  });
}
