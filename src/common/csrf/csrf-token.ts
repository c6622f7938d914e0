import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Session, SessionData } from 'express-session';

export const newCsrfToken = () => randomBytes(32).toString('base64url');

/** The session's synchronizer token, created on first use. A new session (login, logout) gets a new one. */
export function csrfTokenOf(session: Session & Partial<SessionData>): string {
  session.csrfToken ??= newCsrfToken();
  return session.csrfToken;
}

export function matchesCsrfToken(expected: string | undefined, candidate: unknown): boolean {
  if (!expected || typeof candidate !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(candidate);
  return a.length === b.length && timingSafeEqual(a, b);
}
