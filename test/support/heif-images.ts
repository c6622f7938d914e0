import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * HEIF-family images made with libheif's heif-enc (1.15, x265 and aom) from JPEGs of two coloured bands: see
 * test/fixtures/README.md for how each was made. Nothing here needs heif-enc at test time.
 */
const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', name));

/**
 * iPhone-like HEIC: 64 × 48 coded (a blue band on the left quarter, the rest red) with an `irot` turning it a quarter
 * clockwise, so it shows 48 × 64 with the blue band on top; EXIF DateTimeOriginal 2024:07:14 16:30:05 and, as iPhones
 * write it, EXIF Orientation 6 too (which HEIF readers must not apply a second time).
 */
export const heic = () => fixture('photo.heic');

/** 40 × 30 green HEVC-coded HEIF whose main brand is `mif1` (so its type is image/heif), no EXIF. */
export const heif = () => fixture('plain.heif');

/** 32 × 24 HEIC with an alpha plane: orange at half opacity. */
export const heicWithAlpha = () => fixture('alpha.heic');

/** 64 × 48 AVIF (a yellow band on the left quarter, the rest blue) with EXIF DateTimeOriginal 2023:03:09 08:15:00. */
export const avif = () => fixture('photo.avif');

/** A HEIF whose every `ispe` (image size) property and grid header claim width × height; the coded data is unchanged. */
export function heifClaiming(image: Buffer, width: number, height: number): Buffer {
  const patched = Buffer.from(image);
  for (let at = patched.indexOf('ispe'); at !== -1; at = patched.indexOf('ispe', at + 4)) {
    patched.writeUInt32BE(width, at + 8); // after the type: version and flags (4 bytes), then width and height
    patched.writeUInt32BE(height, at + 12);
  }
  const grid = patched.indexOf('idat');
  if (grid !== -1) {
    patched.writeUInt16BE(width, grid + 8); // version, flags, rows - 1, columns - 1, then 16-bit output width, height
    patched.writeUInt16BE(height, grid + 10);
  }
  return patched;
}

/** The same HEIF with the start of its coded image (in `mdat`) overwritten: the header reads, the decode fails. */
export function heifWithDamagedData(image: Buffer): Buffer {
  const damaged = Buffer.from(image);
  const mdat = damaged.indexOf('mdat');
  damaged.fill(0xff, mdat + 4, mdat + 56);
  return damaged;
}
