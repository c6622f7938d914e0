import 'express-session';

declare module 'express-session' {
  interface SessionData {
    /** When the user logged in (epoch ms): bounds the session's absolute lifetime. */
    authenticatedAt: number;
    /** "Keep me logged in" was ticked at login: the session lasts REMEMBER_ME_DAYS instead of the idle timeout. */
    rememberMe: boolean;
    /** The logged-in user's id, kept by passport. */
    passport: { user: string };
  }
}
