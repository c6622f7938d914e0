import 'express-session';

declare module 'express-session' {
  interface SessionData {
    /** SHA-256 of the reset token from an emailed link, moved here so no secret stays in the URL. */
    passwordResetHash: string;
  }
}

declare global {
  namespace Express {
    interface Request {
      /** Set by the LoginGuard when the password was right but the account is disabled. */
      loginRefusedAsDisabled?: boolean;
      /** Set by the LoginGuard when this login is the account's first. */
      firstLogin?: boolean;
    }
  }
}
