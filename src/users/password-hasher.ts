import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { availableParallelism } from 'node:os';
import { Semaphore } from '../common/concurrency/semaphore';

/**
 * argon2id at node-argon2's defaults (m=64 MiB, t=3, p=4), above OWASP's minimum (m=19 MiB, t=2, p=1).
 * Hashes made with weaker parameters are reported by needsRehash and upgraded at the next login.
 */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 65536, timeCost: 3, parallelism: 4 } as const;

/**
 * Hashes running at once. Each one already keeps 4 threads busy (p=4), so more at once only queue for the same cores,
 * take 64 MiB each and starve the event loop: on 2 cores, 30 verifies at once ran no faster than one at a time while
 * the event loop stalled for up to 300 ms (16 ms with one at a time).
 */
const CONCURRENT_HASHES = Math.max(1, Math.floor(availableParallelism() / 2));

@Injectable()
export class PasswordHasher {
  private readonly slots = new Semaphore(CONCURRENT_HASHES);
  /** A hash of nothing anyone knows: verified against when an account does not exist, so timing reveals nothing. */
  private readonly dummyHash = this.hash(`no such account ${Math.random()}`);

  hash(password: string): Promise<string> {
    return this.slots.run(() => argon2.hash(password, ARGON2_OPTIONS));
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await this.slots.run(() => argon2.verify(hash, password));
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
