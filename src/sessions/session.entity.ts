import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/** One express-session row: the store behind sessions that survive restarts and are shared by app instances. */
@Entity({ tableName: 'sessions' })
export class Session {
  @PrimaryKey({ type: 'string', length: 64 })
  sid: string;

  /** The serialised session (JSON). */
  @Property({ type: 'text' })
  data: string;

  @Index()
  @Property({ type: 'datetime' })
  expiresAt: Date;

  /** The logged-in user, so all of a user's sessions can be ended at once. */
  @Index()
  @Property({ type: 'string', length: 36, nullable: true })
  userId: string | null;
}
