import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ImageProcessor, ImageRejectedError, PREVIEW_EDGE, THUMBNAIL_EDGE } from '../../src/photos/image-processor';
import { jpeg } from '../support/images';

describe(ImageProcessor.name, () => {
  const processor = new ImageProcessor();
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'photosphere-renditions-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, bytes: Buffer): string {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  }

  it('makes a thumbnail and a preview that fit their edges and keep the aspect ratio', async () => {
    const path = file('large.jpg', await jpeg(3000, 2000));
    const { thumbnail, preview } = await processor.renditions(path, 100_000_000);
    expect(await sharp(thumbnail).metadata()).toMatchObject({ format: 'webp', width: THUMBNAIL_EDGE, height: 267 });
    expect(await sharp(preview).metadata()).toMatchObject({ format: 'webp', width: PREVIEW_EDGE, height: 1067 });
  });

  it('never enlarges a small image', async () => {
    const path = file('small.jpg', await jpeg(300, 200));
    const { thumbnail, preview } = await processor.renditions(path, 100_000_000);
    expect(await sharp(thumbnail).metadata()).toMatchObject({ width: 300, height: 200 });
    expect(await sharp(preview).metadata()).toMatchObject({ width: 300, height: 200 });
  });

  it('keeps transparency', async () => {
    const transparent = await sharp({ create: { width: 800, height: 600, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } } })
      .png()
      .toBuffer();
    const { thumbnail } = await processor.renditions(file('alpha.png', transparent), 100_000_000);
    expect(await sharp(thumbnail).metadata()).toMatchObject({ hasAlpha: true, width: THUMBNAIL_EDGE, height: 300 });
  });

  it('refuses a truncated image', async () => {
    const whole = await jpeg(1200, 800);
    const path = file('truncated.jpg', whole.subarray(0, Math.floor(whole.length / 2)));
    await expect(processor.renditions(path, 100_000_000)).rejects.toThrow(ImageRejectedError);
  });
});
