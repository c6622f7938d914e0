import { BigIntType, Entity, EntityRepositoryType, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { Role } from '../common/http/roles.decorator';
import { UserRepository } from './user.repository';

/** An account. Only UsersService (and StorageQuota, for the bytes used) writes this row; UserRepository reads it. */
@Entity({ tableName: 'users', repository: () => UserRepository })
export class User {
  [EntityRepositoryType]?: UserRepository;

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** As the person typed it; shown in the navbar. */
  @Property({ type: 'string', length: 32 })
  username: string;

  /** Lower-cased username: makes uniqueness and login case-insensitive on every database. */
  @Property({ type: 'string', length: 32, unique: true })
  usernameKey: string;

  /** Stored normalised (trimmed, lower case), so it is unique regardless of case. */
  @Property({ type: 'string', length: 254, unique: true })
  email: string;

  @Property({ type: 'string', length: 255, lazy: true })
  passwordHash: string;

  @Property({ type: 'datetime' })
  createdAt: Date;

  @Property({ type: 'datetime', nullable: true })
  lastLoginAt: Date | null = null;

  @Property({ type: 'string', length: 16, default: 'user' })
  role: Role = 'user';

  /** Set while an admin has disabled the account: it cannot log in and has no sessions. */
  @Property({ type: 'datetime', nullable: true })
  disabledAt: Date | null = null;

  /** Most bytes of originals the user may store; null is unlimited. */
  @Property({ type: new BigIntType('number'), nullable: true })
  quotaBytes: number | null = null;

  /**
   * Bytes of originals stored or being stored. Reserved by one conditional UPDATE before an upload is written and
   * released when it fails or the photo is deleted (see StorageQuota), so parallel uploads cannot overshoot the quota.
   */
  @Property({ type: new BigIntType('number'), default: 0 })
  usedBytes: number = 0;
}
