import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';

/**
 * argon2id at node-argon2's defaults (m=64 MiB, t=3, p=4), above OWASP's minimum (m=19 MiB, t=2, p=1).
 * Hashes made with weaker parameters are reported by needsRehash and upgraded at the next login.
 */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 65536, timeCost: 3, parallelism: 4 } as const;

@Injectable()
export class PasswordHasher {
  /** A hash of nothing anyone knows: verified against when an account does not exist, so timing reveals nothing. */
  private readonly dummyHash = argon2.hash(`no such account ${Math.random()}`, ARGON2_OPTIONS);

  hash(password: string): Promise<string> {
    return argon2.hash(password, ARGON2_OPTIONS);
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  }

  /** Spends the same time as a real verification, then fails. */
  async verifyNothing(password: string): Promise<false> {
    await this.verify(await this.dummyHash, password);
    return false;
  }

  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, ARGON2_OPTIONS);
  }
}
