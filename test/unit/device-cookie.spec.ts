import type { CookieOptions, Request, Response } from 'express';
import { DeviceCookies } from '../../src/auth/device-cookie';
import { AppConfig } from '../../src/config/app-config';

const SECRET = 'a-session-secret-of-at-least-32-characters';

/** Issues a device cookie for `accountId` and returns what was set. */
function issue(devices: DeviceCookies, accountId: string) {
  let set: { name: string; value: string; options: CookieOptions } | undefined;
  devices.issue(
    { cookie: (name: string, value: string, options: CookieOptions) => (set = { name, value, options }) } as unknown as Response,
    accountId,
  );
  return set!;
}

describe(DeviceCookies.name, () => {
  const devices = new DeviceCookies({ sessionSecret: SECRET, secureCookies: false } as AppConfig);

  it('is trusted for the account it was issued to, and only that one', () => {
    const { value } = issue(devices, 'account-1');
    expect(devices.deviceOf(value, 'account-1')).toBe(value.split('.')[0]);
    expect(devices.deviceOf(value, 'account-2')).toBeUndefined();
  });

  it('is no device cookie when altered, signed with another secret, or missing', () => {
    const { value } = issue(devices, 'account-1');
    const [nonce, signature] = value.split('.');
    const otherSecret = issue(
      new DeviceCookies({ sessionSecret: SECRET.replace('a-', 'b-'), secureCookies: false } as AppConfig),
      'account-1',
    ).value;
    for (const cookie of [`${nonce}x.${signature}`, `${nonce}.${signature.slice(1)}`, `${value}.extra`, otherSecret, '', undefined]) {
      expect(devices.deviceOf(cookie, 'account-1')).toBeUndefined();
    }
  });

  it('gives every login a new nonce', () => {
    expect(issue(devices, 'account-1').value).not.toBe(issue(devices, 'account-1').value);
  });

  it('is HttpOnly, SameSite=Strict and long-lived; Secure with the __Host- prefix in production', () => {
    expect(issue(devices, 'account-1')).toMatchObject({
      name: 'login-device',
      options: { httpOnly: true, sameSite: 'strict', secure: false, path: '/', maxAge: 365 * 86_400_000 },
    });
    const production = new DeviceCookies({ sessionSecret: SECRET, secureCookies: true } as AppConfig);
    const { name, value, options } = issue(production, 'account-1');
    expect({ name, secure: options.secure }).toEqual({ name: '__Host-login-device', secure: true });
    expect(production.read({ cookies: { photosphere: 'abc', '__Host-login-device': value } } as unknown as Request)).toBe(value);
  });
});
