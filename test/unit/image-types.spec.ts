import { ACCEPTED_IMAGE_MEDIA_TYPES, NOT_A_SUPPORTED_IMAGE, sniffImageType, SNIFF_BYTES } from '../../src/photos/image-types';
import { avif, heic, heif } from '../support/heif-images';
import { gif, jpeg, png, webp } from '../support/images';

describe('image types', () => {
  it.each([
    ['JPEG', () => jpeg(64, 48), 'image/jpeg'],
    ['PNG', () => png(64, 48), 'image/png'],
    ['WebP', () => webp(64, 48), 'image/webp'],
    ['GIF', () => gif(64, 48), 'image/gif'],
    ['HEIC', async () => heic(), 'image/heic'],
    ['HEIF (mif1 brand)', async () => heif(), 'image/heif'],
    ['AVIF', async () => avif(), 'image/avif'],
  ])('recognises %s by its leading bytes', async (_, image, type) => {
    expect(await sniffImageType((await image()).subarray(0, SNIFF_BYTES))).toBe(type);
  });

  it('recognises nothing else, whatever it claims to be', async () => {
    expect(await sniffImageType(Buffer.from('just some notes'))).toBeUndefined();
    expect(await sniffImageType(Buffer.from('....ftypmp42....isommp42', 'latin1'))).toBeUndefined(); // an MP4 video
  });

  it('names every accepted type in the refusal and the file picker', () => {
    expect(NOT_A_SUPPORTED_IMAGE).toBe('is not a supported image (JPEG, PNG, WebP, GIF, HEIC, HEIF or AVIF).');
    expect(ACCEPTED_IMAGE_MEDIA_TYPES).toBe('image/jpeg,image/png,image/webp,image/gif,image/heic,image/heif,image/avif');
  });
});
