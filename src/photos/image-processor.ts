import { Injectable } from '@nestjs/common';
import exifr from 'exifr';
import { availableParallelism } from 'node:os';
import sharp, { Metadata } from 'sharp';
import { Semaphore } from '../common/concurrency/semaphore';
import { imageSource } from './image-source';

sharp.cache(false);

export const THUMBNAIL_EDGE = 400;
export const PREVIEW_EDGE = 1600;

/** What the header says, read without decoding the pixels: display dimensions, EXIF orientation applied. */
export interface InspectedImage {
  width: number;
  height: number;
}

export interface Renditions {
  thumbnail: Buffer;
  preview: Buffer;
}

/** Why an image was refused, in words for the person who uploaded it (the file name is added by the caller). */
export class ImageRejectedError extends Error {}

/**
 * Reads and re-encodes images with sharp: headers from the spooled upload on disk, pixels from the original's bytes. Renditions are WebP,
 * oriented by EXIF and stripped of all metadata, so nothing an image smuggled in reaches the thumbnail or preview.
 */
@Injectable()
export class ImageProcessor {
  /**
   * Images decoded at once. libvips already spreads one decode over every core, so more at once add only memory
   * (a decoded 12 MP photo is 36 MB) and latency for everyone; uploads past the limit wait their turn.
   */
  private readonly decodeSlots = new Semaphore(availableParallelism());

  /** Reads the header only (cheap, in the upload request): a file whose pixels turn out broken fails later, in `renditions`. */
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
      throw new ImageRejectedError(`is too large: ${width} × ${height} pixels (at most ${Math.round(maxPixels / 1_000_000)} megapixels).`);
    }
    const rotated = orientation >= 5;
    return { width: rotated ? height : width, height: rotated ? width : height };
  }

  /**
   * Decodes the whole image once (so truncated or corrupt files are refused here), shrunk to the preview size while
   * decoding where the format allows; the preview and the thumbnail are both encoded from those pixels.
   */
  async renditions(path: string, maxPixels: number): Promise<Renditions> {
    try {
      return await this.decodeSlots.run(async () => {
        const { data, info } = await (
          await imageSource(path, maxPixels)
        )
          .rotate()
          .resize(PREVIEW_EDGE, PREVIEW_EDGE, { fit: 'inside', withoutEnlargement: true })
          .raw()
          .toBuffer({ resolveWithObject: true });
        const pixels = () => sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
        const [thumbnail, preview] = await Promise.all([
          pixels().resize(THUMBNAIL_EDGE, THUMBNAIL_EDGE, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 78 }).toBuffer(),
          pixels().webp({ quality: 82 }).toBuffer(),
        ]);
        return { thumbnail, preview };
      });
    } catch {
      throw new ImageRejectedError('could not be read as an image; it may be damaged or incomplete.');
    }
  }

  /**
   * The EXIF capture date, when the image has a readable one. Read from the block libvips finds, so every format it
   * reads counts (exifr alone misreads some HEIF item locations, and cannot read WebP).
   */
  async takenAt(path: string): Promise<Date | null> {
    try {
      return await dateOf((await sharp(path, { limitInputPixels: false }).metadata()).exif);
    } catch {
      return null;
    }
  }
}

/** sharp hands over JPEG's and WebP's EXIF block after an "Exif\0\0" header, HEIF's and PNG's as bare TIFF. */
const EXIF_HEADER = Buffer.from('Exif\0\0', 'latin1');

async function dateOf(exif: Buffer | undefined): Promise<Date | null> {
  if (!exif) return null;
  const tiff = exif.subarray(0, EXIF_HEADER.length).equals(EXIF_HEADER) ? exif.subarray(EXIF_HEADER.length) : exif;
  const tags = await exifr.parse(tiff, ['DateTimeOriginal', 'CreateDate']);
  const value = tags?.DateTimeOriginal ?? tags?.CreateDate;
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value : null;
}
