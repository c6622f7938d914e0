import { Injectable } from '@nestjs/common';
import exifr from 'exifr';
import sharp, { Metadata } from 'sharp';

sharp.cache(false);

export const THUMBNAIL_EDGE = 400;
export const PREVIEW_EDGE = 1600;

export interface InspectedImage {
  width: number;
  height: number;
  takenAt: Date | null;
}

export interface Renditions {
  thumbnail: Buffer;
  preview: Buffer;
}

/** Why an image was refused, in words for the person who uploaded it (the file name is added by the caller). */
export class ImageRejectedError extends Error {}

/**
 * Reads and re-encodes images with sharp, from a file on disk (never a whole upload in memory). Renditions are WebP,
 * oriented by EXIF and stripped of all metadata, so nothing an image smuggled in reaches the thumbnail or preview.
 */
@Injectable()
export class ImageProcessor {
  async inspect(path: string, maxPixels: number): Promise<InspectedImage> {
    let metadata: Metadata;
    try {
      // Only the header is read here, so no pixel limit yet: an oversized image gets its own clear message below.
      metadata = await sharp(path, { limitInputPixels: false }).metadata();
    } catch {
      throw new ImageRejectedError('could not be read as an image; it may be damaged.');
    }
    const { width = 0, height = 0, orientation = 1 } = metadata;
    if (width === 0 || height === 0) throw new ImageRejectedError('could not be read as an image; it may be damaged.');
    if (width * height > maxPixels) {
      throw new ImageRejectedError(
        `is too large: ${width} × ${height} pixels (at most ${Math.round(maxPixels / 1_000_000)} megapixels).`,
      );
    }
    const rotated = orientation >= 5;
    return { width: rotated ? height : width, height: rotated ? width : height, takenAt: await takenAt(path) };
  }

  /** Decodes the whole image (so truncated or corrupt files are refused here) into a thumbnail and a preview. */
  async renditions(path: string, maxPixels: number): Promise<Renditions> {
    const source = sharp(path, { limitInputPixels: maxPixels, failOn: 'warning' }).rotate();
    try {
      const [thumbnail, preview] = await Promise.all([
        source.clone().resize(THUMBNAIL_EDGE, THUMBNAIL_EDGE, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 78 }).toBuffer(),
        source.clone().resize(PREVIEW_EDGE, PREVIEW_EDGE, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 82 }).toBuffer(),
      ]);
      return { thumbnail, preview };
    } catch {
      throw new ImageRejectedError('could not be read as an image; it may be damaged or incomplete.');
    }
  }
}

async function takenAt(path: string): Promise<Date | null> {
  try {
    const tags = await exifr.parse(path, ['DateTimeOriginal', 'CreateDate']);
    const value = tags?.DateTimeOriginal ?? tags?.CreateDate;
    return value instanceof Date && !Number.isNaN(value.getTime()) ? value : null;
  } catch {
    return null;
  }
}
