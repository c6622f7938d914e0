/** Where a gallery page starts: just older than this photo (keyset pagination on uploaded-at, then id). */
export interface GalleryCursor {
  uploadedAt: Date;
  id: string;
}

const FORMAT = /^(\d{1,15})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export function encodeCursor(photo: GalleryCursor): string {
  return `${photo.uploadedAt.getTime()}_${photo.id}`;
}

/** A malformed cursor reads as "from the start", never as an error. */
export function decodeCursor(value: unknown): GalleryCursor | undefined {
  const match = typeof value === 'string' ? FORMAT.exec(value) : null;
  return match ? { uploadedAt: new Date(Number(match[1])), id: match[2] } : undefined;
}
