import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import { AuthService } from './auth.service';

/** passport-local reading the original app's fields: `identifier` (email or username) and `password`. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy) {
  constructor(private readonly auth: AuthService) {
    super({ usernameField: 'identifier', passwordField: 'password' });
  }

  /** The fields arrive as the client sent them: a repeated field (`identifier=a&identifier=b`) is an array. */
  async validate(identifier: unknown, password: unknown): Promise<Express.User | false> {
    if (typeof identifier !== 'string' || typeof password !== 'string') return false;
    return (await this.auth.authenticate(identifier, password)) ?? false;
  }
}
