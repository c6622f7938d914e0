import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/**
 * `pending`: the upload request is storing the original (internal, never shown). `processing`: the original is stored
 * and a job makes the thumbnail and preview. `ready`: every blob is stored. `failed`: the file could not be decoded;
 * its original is removed, its bytes given back, and the row stays to tell the owner why until they delete it.
 */
export type PhotoStatus = 'pending' | 'processing' | 'ready' | 'failed';

/**
 * One uploaded photo. Its bytes live in blob storage under keys made from the owner's and the photo's ids. The gallery
 * shows every state but `pending`; only ready photos are served as images.
 */
@Entity({ tableName: 'photos' })
@Index({ properties: ['ownerId', 'uploadedAt', 'id', 'status'] })
@Unique({ properties: ['ownerId', 'sha256'] })
export class Photo {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 36 })
  ownerId: string;

  /** The uploaded file name, cleaned (no path, no control characters, at most 255 characters). */
  @Property({ type: 'string', length: 255 })
  displayName: string;

  /** Detected from the bytes, never taken from the client. */
  @Property({ type: 'string', length: 32 })
  contentType: string;

  @Property({ type: 'integer' })
  sizeBytes: number;

  /** Display dimensions, EXIF orientation applied. */
  @Property({ type: 'integer' })
  width: number;

  @Property({ type: 'integer' })
  height: number;

  /** Hex SHA-256 of the original bytes: the strong ETag, and how duplicates are recognised. */
  @Property({ type: 'string', length: 64 })
  sha256: string;

  @Property({ type: 'datetime', nullable: true })
  takenAt: Date | null = null;

  @Property({ type: 'datetime', length: 3 })
  uploadedAt: Date;

  @Property({ type: 'string', length: 16 })
  status: PhotoStatus;

  /** Why a `failed` photo could not be processed, in words for its owner. */
  @Property({ type: 'string', length: 255, nullable: true })
  failureReason: string | null = null;

  /** The instance (INSTANCE_ID) that wrote the row; lets it remove its own interrupted uploads when it restarts. */
  @Property({ type: 'string', length: 64, nullable: true })
  uploader: string | null = null;
}
