import sharp, { Sharp } from 'sharp';
import { decodeHeic } from './heic-decoder';

/**
 * A sharp pipeline over the image at `path`, for a full decode. libvips decodes every accepted format itself except
 * HEVC-coded HEIF (iPhone HEIC): its prebuilt libheif reads that header but has no HEVC decoder, so libheif-js
 * decodes those pixels (already turned upright by the file's own rotation and mirroring) and sharp takes them raw.
 */
export async function imageSource(path: string, maxPixels: number): Promise<Sharp> {
  const image = sharp(path, { limitInputPixels: maxPixels, failOn: 'warning', sequentialRead: true });
  const { format, compression } = await image.metadata();
  if (format !== 'heif' || compression !== 'hevc') return image;
  const { data, info } = await decodeHeic(path, maxPixels);
  return sharp(data, { raw: info, limitInputPixels: maxPixels });
}
