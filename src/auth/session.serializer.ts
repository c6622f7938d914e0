import { Injectable } from '@nestjs/common';
import { PassportSerializer } from '@nestjs/passport';
import { AuthService } from './auth.service';

/** Keeps only the user id in the session; the user is looked up again on each request. */
@Injectable()
export class SessionSerializer extends PassportSerializer {
  constructor(private readonly auth: AuthService) {
    super();
  }

  serializeUser(user: Express.User, done: (error: unknown, id?: string) => void): void {
    done(null, user.id);
  }

  deserializeUser(id: string, done: (error: unknown, user?: Express.User | false) => void): void {
    this.auth.sessionUser(id).then(
      (user) => done(null, user ?? false),
      (error) => done(error),
    );
  }
}
