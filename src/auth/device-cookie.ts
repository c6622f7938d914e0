import { Inject, Injectable } from '@nestjs/common';
import type { CookieOptions, Request, Response } from 'express';
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

export const DEVICE_COOKIE_DAYS = 365;

/**
 * OWASP's device cookie ("Slow down online guessing attacks with device cookies"): a browser that has logged in to
 * an account gets `<nonce>.<HMAC(key, accountId + nonce)>`, the key derived from SESSION_SECRET. Its holder logs in
 * to that account on a budget of its own (AccountLoginThrottle), so guesses from elsewhere cannot lock it out. The
 * account id is only in the signature, never in the cookie; a cookie for another account, or one altered, is no
 * cookie at all. A browser keeps one: the account that last logged in from it.
 */
@Injectable()
export class DeviceCookies {
  readonly name: string;
  private readonly options: CookieOptions;
  private readonly key: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.name = config.secureCookies ? '__Host-login-device' : 'login-device';
    this.options = { httpOnly: true, sameSite: 'strict', secure: config.secureCookies, path: '/', maxAge: DEVICE_COOKIE_DAYS * 86_400_000 };
    this.key = Buffer.from(hkdfSync('sha256', config.sessionSecret, '', 'photosphere device cookie', 32));
  }

  /** The device cookie the request carries, unchecked. */
  read(req: Request): string | undefined {
    const value: unknown = req.cookies?.[this.name];
    return typeof value === 'string' ? value : undefined;
  }

  /** The device's id (its nonce) when `cookie` was issued for this account, else undefined. */
  deviceOf(cookie: string | undefined, accountId: string): string | undefined {
    const [nonce, signature, ...rest] = cookie?.split('.') ?? [];
    if (!nonce || !signature || rest.length > 0) return undefined;
    const expected = this.sign(accountId, nonce);
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected) ? nonce : undefined;
  }

  /** Marks this browser as one that has logged in to the account (a new nonce at every login). */
  issue(res: Response, accountId: string): void {
    const nonce = randomBytes(16).toString('base64url');
    res.cookie(this.name, `${nonce}.${this.sign(accountId, nonce).toString()}`, this.options);
  }

  private sign(accountId: string, nonce: string): Buffer {
    return Buffer.from(createHmac('sha256', this.key).update(`${accountId}.${nonce}`).digest('base64url'));
  }
}
