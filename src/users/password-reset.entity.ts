import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/** An emailed reset link. Only the SHA-256 of its token is stored; the row is deleted when used or superseded. */
@Entity({ tableName: 'password_resets' })
export class PasswordReset {
  @PrimaryKey({ type: 'string', length: 64 })
  tokenHash: string;

  @Index()
  @Property({ type: 'string', length: 36 })
  userId: string;

  /** Millisecond precision, so the link's last valid moment is exact on MySQL too. */
  @Property({ type: 'datetime', length: 3 })
  expiresAt: Date;
}
