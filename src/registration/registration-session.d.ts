import 'express-session';

declare module 'express-session' {
  interface SessionData {
    /** SHA-256 of the token from an invitation link, moved here like the reset token. */
    invitationHash: string;
  }
}
