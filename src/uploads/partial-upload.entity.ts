import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A resumable (tus) upload that has not finished: whose it is, the name and length declared when it was created, and
 * when it expires. Its bytes live in the partial-upload store (DATA_DIR or the Azure container), named by its id.
 */
@Entity({ tableName: 'partial_uploads' })
@Index({ properties: ['ownerId', 'expiresAt'] })
export class PartialUpload {
  /** 16 random bytes in hex: the last part of its URL, unguessable; only its owner's requests find it. */
  @PrimaryKey({ type: 'string', length: 32 })
  id: string;

  @Property({ type: 'string', length: 36 })
  ownerId: string;

  /** The declared file name, cleaned like a photo's display name. */
  @Property({ type: 'string', length: 255 })
  filename: string;

  /** The declared Upload-Length in bytes; counted against the owner's quota until it finishes or expires. */
  @Property({ type: 'integer' })
  length: number;

  @Property({ type: 'datetime' })
  createdAt: Date;

  @Property({ type: 'datetime', length: 3 })
  expiresAt: Date;
}
