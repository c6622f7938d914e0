import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/** A single-use invitation link made by an admin. Only the SHA-256 of its token is stored. */
@Entity({ tableName: 'invitations' })
export class Invitation {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 64, unique: true })
  tokenHash: string;

  @Property({ type: 'string', length: 36 })
  createdById: string;

  @Property({ type: 'datetime' })
  createdAt: Date;

  /** Millisecond precision, so the link's last valid moment is exact on MySQL too. */
  @Property({ type: 'datetime', length: 3 })
  expiresAt: Date;

  @Property({ type: 'datetime', nullable: true })
  usedAt: Date | null = null;

  @Property({ type: 'string', length: 36, nullable: true })
  usedById: string | null = null;
}
