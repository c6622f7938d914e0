import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

@Entity({ tableName: 'users' })
export class User {
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
}
