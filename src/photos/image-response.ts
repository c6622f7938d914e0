import contentDisposition from 'content-disposition';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { BlobDownload } from '../storage/blob-storage.port';
import { ACCEPTED_IMAGE_TYPES, AcceptedImageType } from './image-types';
import { Photo } from './photo.entity';
import { Rendition } from './photo-keys';

const CACHE_FOREVER = 'private, max-age=31536000, immutable';

/** Strong validators from the content hash: renditions of the same bytes never change. */
export function imageEtag(photo: Photo, rendition: Rendition): string {
  return rendition === 'original' ? `"${photo.sha256}"` : `"${photo.sha256}-${rendition}"`;
}

/**
 * Headers for user-supplied bytes: the detected type only, nosniff, a sandboxing CSP (so even a polyglot opened
 * directly can never run as a page), same-origin only, and cached privately for good (URLs are immutable).
 */
function setImageHeaders(res: Response, contentType: string, etag: string): void {
  res.set({
    'Content-Type': contentType,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': CACHE_FOREVER,
    ETag: etag,
  });
}

/** RFC 6266 attachment header; the extension always matches the detected type. */
function attachment(res: Response, photo: Photo): void {
  const extension = ACCEPTED_IMAGE_TYPES[photo.contentType as AcceptedImageType];
  const sameType = extension === 'jpg' ? /\.jpe?g$/i : new RegExp(`\\.${extension}$`, 'i');
  const name = sameType.test(photo.displayName) ? photo.displayName : `${photo.displayName}.${extension}`;
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_'); // plain ASCII for old clients; filename* has the real name
  res.set('Content-Disposition', contentDisposition(name, { type: 'attachment', fallback }));
}

export interface ImageToSend {
  contentType: string;
  etag: string;
  /** Send as an attachment named after this photo. */
  downloadOf?: Photo;
}

/**
 * Answers 304 when the browser's copy is current (without touching storage); otherwise opens the blob and only
 * then sets the image headers, so a storage failure still gets an ordinary error page.
 */
export async function sendImage(req: Request, res: Response, image: ImageToSend, open: () => Promise<BlobDownload>): Promise<void> {
  if (matchesEtag(req.get('If-None-Match'), image.etag)) {
    res.set({ ETag: image.etag, 'Cache-Control': CACHE_FOREVER }).status(304).end();
    return;
  }
  const blob = await open();
  setImageHeaders(res, image.contentType, image.etag);
  if (image.downloadOf) attachment(res, image.downloadOf);
  res.set('Content-Length', String(blob.size));
  try {
    await pipeline(blob.stream, res);
  } catch {
    // The client went away or storage broke off mid-stream; the connection is already closed.
  }
}

function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((candidate) => ['*', etag, `W/${etag}`].includes(candidate.trim()));
}
