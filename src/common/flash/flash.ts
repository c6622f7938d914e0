import type { Request, Response } from 'express';
import { isLoggedIn } from '../../sessions/logged-in';
import type { SiteCookie } from '../../sessions/session-cookie';

export type FlashType = 'success' | 'danger' | 'warning' | 'info';

export interface FlashMessage {
  type: FlashType;
  message: string;
}

const FLASH_TYPES: readonly string[] = ['success', 'danger', 'warning', 'info'] satisfies FlashType[];
const FLASH_COOKIE_SETTING = 'flash cookie';
/** Messages queued by this request for a visitor, all of which go into its one cookie. */
const queuedForVisitor = new WeakMap<Request, FlashMessage[]>();

/**
 * Where a visitor's messages wait: a logged-in user's go into their session, but a visitor without a login (just
 * registered, signed out everywhere, password reset…) has no session to put them in, and none is stored only for
 * that: theirs go into this cookie, signed with the session secret, until the next page shows them.
 */
export function useFlashCookie(app: { set(setting: string, value: unknown): unknown }, cookie: SiteCookie): void {
  app.set(FLASH_COOKIE_SETTING, cookie);
}

/** Queues a message for the next page this browser renders (post/redirect/get). */
export function flash(req: Request, type: FlashType, message: string): void {
  if (isLoggedIn(req)) {
    req.session.flash = [...(req.session.flash ?? []), { type, message }];
    return;
  }
  const queued = [...(queuedForVisitor.get(req) ?? []), { type, message }];
  queuedForVisitor.set(req, queued);
  const cookie = flashCookieOf(req);
  req.res!.cookie(cookie.name, queued, { ...cookie.options, signed: true });
}

/** Returns and forgets the queued messages. */
export function takeFlash(req: Request, res: Response): FlashMessage[] {
  const messages = req.session?.flash ?? [];
  if (messages.length > 0) delete req.session.flash;
  const cookie = flashCookieOf(req);
  if (!(cookie.name in (req.signedCookies ?? {}))) return messages;
  res.clearCookie(cookie.name, cookie.options);
  return [...messages, ...visitorMessages(req.signedCookies[cookie.name])];
}

function flashCookieOf(req: Request): SiteCookie {
  return req.app.get(FLASH_COOKIE_SETTING) as SiteCookie;
}

/** The messages of a flash cookie whose signature held (otherwise cookie-parser gives `false`). */
function visitorMessages(value: unknown): FlashMessage[] {
  if (!Array.isArray(value)) return [];
  return value.filter((m): m is FlashMessage => typeof m?.message === 'string' && FLASH_TYPES.includes(m?.type));
}
