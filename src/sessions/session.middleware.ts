import session from 'express-session';
import { AppConfig } from '../config/app-config';
import { DatabaseSessionStore } from './database-session.store';
import { sessionCookie } from './session-cookie';

/**
 * express-session on the database store. The cookie rolls: each response pushes the idle timeout forward.
 * Nothing is stored for a visitor until a page needs a session (a form's CSRF token, a flash message).
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
