import { Injectable } from '@nestjs/common';
import { toSessionUser } from '../users/session-user';
import { UserRepository } from '../users/user.repository';
import { UsersService } from '../users/users.service';
import { PasswordHasher } from '../users/password-hasher';
import { PASSWORD_MAX_LENGTH } from '../users/password-policy';
import { AccountLoginThrottle, LoginClient } from './account-login-throttle';
import { DeviceCookies } from './device-cookie';

/** A login refused although the password was right: only said after the password has been checked. */
export const ACCOUNT_DISABLED = 'disabled';
/** A login whose password was right; `firstLogin` when the account had never logged in before. */
export interface SuccessfulLogin {
  user: Express.User;
  firstLogin: boolean;
}
export type LoginOutcome = SuccessfulLogin | typeof ACCOUNT_DISABLED | null;

/** Logging in, and the user behind a logged-in session. */
@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly userRows: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly throttle: AccountLoginThrottle,
    private readonly devices: DeviceCookies,
  ) {}

  /**
   * Checks a login. Unknown accounts cost the same argon2 verification as wrong passwords, so neither the answer
   * nor its timing tells them apart; both count against a failure budget (AccountLoginThrottle), the browser's own
   * when its device cookie was issued for this account. A hash made with weaker parameters is upgraded on success.
   * A disabled account is refused, and only then told so.
   */
  async authenticate(identifier: string, password: string, deviceCookie?: string): Promise<LoginOutcome> {
    if (!password || [...password].length > PASSWORD_MAX_LENGTH) return null;
    const user = await this.userRows.findByIdentifier(identifier);
    const client: LoginClient = user
      ? { accountId: user.id, deviceId: this.devices.deviceOf(deviceCookie, user.id) }
      : { unknownName: identifier.trim().toLowerCase() };
    const valid = await this.throttle.attempt(client, () =>
      user ? this.hasher.verify(user.passwordHash, password) : this.hasher.verifyNothing(password),
    );
    if (!user || !valid) return null;
    if (user.disabledAt) return ACCOUNT_DISABLED;
    const firstLogin = user.lastLoginAt === null;
    await this.users.recordLogin(user, password);
    return { user: toSessionUser(user), firstLogin };
  }

  /**
   * The user behind a session, re-read on every request: a deleted or disabled account is logged out at once, and
   * a role change applies to the next request.
   */
  async sessionUser(id: string): Promise<Express.User | null> {
    const user = await this.userRows.findOne({ id });
    return user && !user.disabledAt ? toSessionUser(user) : null;
  }
}
