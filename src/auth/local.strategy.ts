import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-local';
import { ACCOUNT_DISABLED, AuthService } from './auth.service';
import { DeviceCookies } from './device-cookie';

/** What the LoginGuard learns besides the user: why a login was refused, or that it was the account's first. */
export interface LoginInfo {
  disabled?: boolean;
  firstLogin?: boolean;
}

/** passport-local reading the original app's fields: `identifier` (email or username) and `password`. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy) {
  constructor(
    private readonly auth: AuthService,
    private readonly devices: DeviceCookies,
  ) {
    super({ usernameField: 'identifier', passwordField: 'password', passReqToCallback: true });
  }

  /** The outcome's details travel to the LoginGuard as passport's `info`. */
  async validate(req: Request, identifier: string, password: string): Promise<[Express.User | false, LoginInfo]> {
    const outcome = await this.auth.authenticate(identifier, password, this.devices.read(req));
    if (outcome && outcome !== ACCOUNT_DISABLED) return [outcome.user, { firstLogin: outcome.firstLogin }];
    return [false, { disabled: outcome === ACCOUNT_DISABLED }];
  }
}
