import type { CookieOptions } from 'express';
import { AppConfig } from '../config/app-config';

export const SESSION_COOKIE = Symbol('SESSION_COOKIE');

export interface SiteCookie {
  name: string;
  options: CookieOptions;
}

export type SessionCookie = SiteCookie;

/**
 * A cookie of this site: HttpOnly, SameSite=Lax, Path=/, no Domain; Secure in production, where the `__Host-` prefix
 * also pins the cookie to this host (plain HTTP cannot use the prefix).
 */
export function siteCookie(config: Pick<AppConfig, 'secureCookies'>, name: string, options: CookieOptions = {}): SiteCookie {
  return {
    name: config.secureCookies ? `__Host-${name}` : name,
    options: { httpOnly: true, sameSite: 'lax', secure: config.secureCookies, path: '/', ...options },
  };
}

/** The session's cookie. Its lifetime is the idle timeout, renewed on every response. */
export function sessionCookie(config: Pick<AppConfig, 'secureCookies' | 'sessionIdleMs'>): SessionCookie {
  return siteCookie(config, 'photosphere', { maxAge: config.sessionIdleMs });
}
