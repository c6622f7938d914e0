import 'express-session';

declare module 'express-session' {
  interface SessionData {
    /** When the user logged in (epoch ms): bounds the session's absolute lifetime. */
    authenticatedAt: number;
    /** The logged-in user's id, kept by passport. */
    passport: { user: string };
  }
}
