import 'express-session';
import type { FlashMessage } from '../flash/flash';

declare module 'express-session' {
  interface SessionData {
    /** Synchronizer token for CSRF protection (see common/csrf). */
    csrfToken: string;
    /** Messages shown once, on the next page rendered. */
    flash: FlashMessage[];
    /** When the user logged in (epoch ms): bounds the session's absolute lifetime. */
    authenticatedAt: number;
    passport: { user: string };
    /** SHA-256 of the reset token from an emailed link, moved here so no secret stays in the URL. */
    passwordResetHash: string;
    /** SHA-256 of the token from an invitation link, moved here like the reset token. */
    invitationHash: string;
  }
}

declare global {
  namespace Express {
    interface Request {
      /** Set by the request logger; also sent back as X-Request-Id. */
      id: string;
      /** Set by the LoginGuard when the password was right but the account is disabled. */
      loginRefusedAsDisabled?: boolean;
      /** Set by the LoginGuard when this login is the account's first. */
      firstLogin?: boolean;
    }
  }
}
