import { Injectable } from '@nestjs/common';
import { EmailTakenError, UsersService, UsernameTakenError } from '../users/users.service';
import { User } from '../users/user.entity';
import { PasswordHasher } from './password-hasher';
import { PASSWORD_MAX_LENGTH } from './password-policy';
import { hasErrors, parseRegistration, RegistrationErrors, RegistrationValues } from './registration-form';

export type RegistrationResult =
  | { ok: true; user: Express.User }
  | { ok: false; values: RegistrationValues; errors: RegistrationErrors };

export const USERNAME_TAKEN = 'That username is already taken. Choose another one.';
export const EMAIL_TAKEN = 'An account with this email already exists. Log in, or reset its password.';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
  ) {}

  async register(body: unknown): Promise<RegistrationResult> {
    const { values, password, errors } = parseRegistration(body);
    if (!errors.username && (await this.users.isUsernameTaken(values.username))) errors.username = [USERNAME_TAKEN];
    if (!errors.email && (await this.users.isEmailTaken(values.email))) errors.email = [EMAIL_TAKEN];
    if (hasErrors(errors)) return { ok: false, values, errors };
    try {
      const user = await this.users.create({ ...values, passwordHash: await this.hasher.hash(password) });
      return { ok: true, user: toSessionUser(user) };
    } catch (error) {
      if (error instanceof UsernameTakenError) return { ok: false, values, errors: { username: [USERNAME_TAKEN] } };
      if (error instanceof EmailTakenError) return { ok: false, values, errors: { email: [EMAIL_TAKEN] } };
      throw error;
    }
  }

  /**
   * Checks a login. Unknown accounts cost the same argon2 verification as wrong passwords, so neither the answer
   * nor its timing tells them apart. A hash made with weaker parameters is upgraded on success.
   */
  async authenticate(identifier: string, password: string): Promise<Express.User | null> {
    if (!password || [...password].length > PASSWORD_MAX_LENGTH) return null;
    const user = await this.users.findByIdentifier(identifier);
    if (!user) return this.hasher.verifyNothing(password).then(() => null);
    if (!(await this.hasher.verify(user.passwordHash, password))) return null;
    const upgradedHash = this.hasher.needsRehash(user.passwordHash) ? await this.hasher.hash(password) : undefined;
    await this.users.recordLogin(user, upgradedHash);
    return toSessionUser(user);
  }

  /** The user behind a session, re-read on every request so a deleted account is logged out at once. */
  async sessionUser(id: string): Promise<Express.User | null> {
    const user = await this.users.findById(id);
    return user ? toSessionUser(user) : null;
  }
}

function toSessionUser(user: User): Express.User {
  return { id: user.id, username: user.username, email: user.email };
}
