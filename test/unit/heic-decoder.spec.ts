import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeHeic, HeicDecodeError } from '../../src/photos/heic-decoder';
import { ImageProcessor } from '../../src/photos/image-processor';
import { imageSource } from '../../src/photos/image-source';
import { avif, heic, heicWithAlpha, heif, heifClaiming } from '../support/heif-images';
import { jpegWithExif, webp } from '../support/images';

const MAX_PIXELS = 100_000_000;

describe('HEIC decoding', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'photosphere-heic-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, bytes: Buffer): string {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  }

  /** The average colour of a band of rows: the fixtures are a blue (or yellow) band and a red (or blue) rest. */
  async function colourOfRows(data: Buffer, info: { width: number; height: number; channels: number }, from: number, to: number) {
    const sum = [0, 0, 0];
    for (let y = from; y < to; y++)
      for (let x = 0; x < info.width; x++) for (let c = 0; c < 3; c++) sum[c] += data[(y * info.width + x) * info.channels + c];
    return sum.map((s) => Math.round(s / ((to - from) * info.width)));
  }

  it('decodes an iPhone-like HEIC upright by its own rotation, to 8-bit RGB', async () => {
    const { data, info } = await decodeHeic(file('photo.heic', heic()), MAX_PIXELS);
    expect(info).toEqual({ width: 48, height: 64, channels: 3 });
    expect(data).toHaveLength(48 * 64 * 3);
    const [r, , b] = await colourOfRows(data, info, 0, 12); // the blue band turned a quarter clockwise: on top
    expect(b).toBeGreaterThan(180);
    expect(r).toBeLessThan(60);
    const [r2, , b2] = await colourOfRows(data, info, 20, 64);
    expect(r2).toBeGreaterThan(180);
    expect(b2).toBeLessThan(80);
  });

  it('decodes a HEIF with the mif1 brand', async () => {
    const { info } = await decodeHeic(file('plain.heif', heif()), MAX_PIXELS);
    expect(info).toEqual({ width: 40, height: 30, channels: 3 });
  });

  it('keeps an alpha plane as a fourth channel', async () => {
    const { data, info } = await decodeHeic(file('alpha.heic', heicWithAlpha()), MAX_PIXELS);
    expect(info).toEqual({ width: 32, height: 24, channels: 4 });
    expect(Math.abs(data[3] - 128)).toBeLessThan(8);
  });

  it('refuses a header over the pixel cap before decoding', async () => {
    const path = file('huge.heic', heifClaiming(heic(), 20_000, 20_000));
    await expect(decodeHeic(path, MAX_PIXELS)).rejects.toThrow(new HeicDecodeError('image size 20000x20000 refused'));
    await expect(decodeHeic(file('small-cap.heic', heic()), 1000)).rejects.toThrow(/48x64 refused/);
  });

  it('refuses a truncated or damaged file, and a file that is not HEIF', async () => {
    const whole = heic();
    await expect(decodeHeic(file('cut.heic', whole.subarray(0, Math.floor(whole.length * 0.7))), MAX_PIXELS)).rejects.toThrow(
      HeicDecodeError,
    );
    await expect(decodeHeic(file('notes.heic', Buffer.from('not an image at all')), MAX_PIXELS)).rejects.toThrow(HeicDecodeError);
  });

  describe(imageSource.name, () => {
    it('hands HEVC-coded HEIF to libheif-js and everything else (AVIF included) to libvips', async () => {
      const fromHeic = await (await imageSource(file('a.heic', heic()), MAX_PIXELS)).raw().toBuffer({ resolveWithObject: true });
      expect(fromHeic.info).toMatchObject({ width: 48, height: 64 });
      const fromAvif = await (await imageSource(file('a.avif', avif()), MAX_PIXELS)).raw().toBuffer({ resolveWithObject: true });
      expect(fromAvif.info).toMatchObject({ width: 64, height: 48 });
      expect(await sharp(file('b.avif', avif())).metadata()).toMatchObject({ format: 'heif', compression: 'av1' });
    });
  });

  describe('ImageProcessor.inspect', () => {
    const processor = new ImageProcessor();

    it('reads a HEIC header for its upright size without decoding, and its EXIF capture date', async () => {
      expect(await processor.inspect(file('i.heic', heic()), MAX_PIXELS)).toEqual({ width: 48, height: 64 });
      expect(await processor.takenAt(file('i.heic', heic()))).toEqual(new Date('2024-07-14T16:30:05Z'));
      expect(await processor.inspect(file('i.avif', avif()), MAX_PIXELS)).toEqual({ width: 64, height: 48 });
      expect(await processor.takenAt(file('i.avif', avif()))).toEqual(new Date('2023-03-09T08:15:00Z'));
      expect(await processor.inspect(file('i.heif', heif()), MAX_PIXELS)).toEqual({ width: 40, height: 30 });
      expect(await processor.takenAt(file('i.heif', heif()))).toBeNull();
    });

    it('still reads the capture date of a JPEG, and now of a WebP too', async () => {
      expect(await processor.takenAt(file('i.jpg', await jpegWithExif()))).toEqual(new Date('2024-07-14T16:30:05Z'));
      const dated = await sharp(await webp(64, 48))
        .withExif({ IFD2: { DateTimeOriginal: '2022:01:02 03:04:05' } })
        .webp()
        .toBuffer();
      expect(await processor.takenAt(file('i.webp', dated))).toEqual(new Date('2022-01-02T03:04:05Z'));
    });

    it('refuses a HEIC whose header claims 65500 × 65500 from the header alone', async () => {
      await expect(processor.inspect(file('bomb.heic', heifClaiming(heic(), 65500, 65500)), MAX_PIXELS)).rejects.toThrow(
        'is too large: 65500 × 65500 pixels (at most 100 megapixels).',
      );
    });
  });
});
