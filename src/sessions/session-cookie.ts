import type { CookieOptions } from 'express';
import { AppConfig } from '../config/app-config';

export const SESSION_COOKIE = Symbol('SESSION_COOKIE');

export interface SessionCookie {
  name: string;
  options: CookieOptions;
}

/**
 * HttpOnly, SameSite=Lax, Path=/, no Domain; Secure in production, where the `__Host-` prefix also pins the cookie
 * to this host (plain HTTP cannot use the prefix). The lifetime is the idle timeout, renewed on every response.
 */
export function sessionCookie(config: Pick<AppConfig, 'secureCookies' | 'sessionIdleMs'>): SessionCookie {
  return {
    name: config.secureCookies ? '__Host-photosphere' : 'photosphere',
    options: { httpOnly: true, sameSite: 'lax', secure: config.secureCookies, path: '/', maxAge: config.sessionIdleMs },
  };
}
