import 'express-session';
import type { FlashMessage } from '../flash/flash';

// What common/ keeps on every session and request. Each module declares its own session fields beside its code
// (sessions/session-data.d.ts, auth/auth-session.d.ts, registration/registration-session.d.ts).
declare module 'express-session' {
  interface SessionData {
    /** Synchronizer token for CSRF protection (see common/csrf). */
    csrfToken: string;
    /** Messages shown once, on the next page rendered. */
    flash: FlashMessage[];
  }
}

declare global {
  namespace Express {
    interface Request {
      /** Set by the request logger; also sent back as X-Request-Id. */
      id: string;
    }
  }
}
