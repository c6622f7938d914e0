import { jpeg } from './images';

/**
 * A JPEG whose header reads (type, dimensions) but whose compressed pixels are cut off after the first tenth: the
 * upload request takes it in, and only decoding it in processing shows it is broken.
 */
export async function jpegWithBrokenBody(seed: number): Promise<Buffer> {
  const whole = await jpeg(800, 600, seed);
  return whole.subarray(0, Math.floor(whole.length / 10));
}
