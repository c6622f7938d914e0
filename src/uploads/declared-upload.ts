import { BadRequestException } from '@nestjs/common';
import { Metadata } from '@tus/utils';
import type { Request } from 'express';

export const LENGTH_REQUIRED = 'Upload-Length is required: the size of the file in bytes.';
export const METADATA_UNREADABLE = 'Upload-Metadata could not be read: it is comma-separated "key base64value" pairs.';

/**
 * The file a tus creation request announces: its Upload-Length (required: a deferred length would let bytes in
 * before the size is checked) and the `filename` of its Upload-Metadata ('' when absent).
 */
export function declaredUpload(req: Request): { filename: string; length: number } {
  const length = req.get('Upload-Length');
  if (!length || !/^\d{1,15}$/.test(length)) throw new BadRequestException(LENGTH_REQUIRED);
  let metadata: Record<string, string | null> = {};
  try {
    const header = req.get('Upload-Metadata');
    if (header) metadata = Metadata.parse(header);
  } catch {
    throw new BadRequestException(METADATA_UNREADABLE);
  }
  return { filename: metadata.filename ?? '', length: Number(length) };
}
