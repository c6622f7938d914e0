import { MikroORM } from '@mikro-orm/core';
import sharp from 'sharp';
import { Photo } from '../../src/photos/photo.entity';
import { BLOB_STORAGE, BlobStorage } from '../../src/storage/blob-storage.port';
import { User } from '../../src/users/user.entity';
import { Browser, loggedInBrowser } from '../support/browser';
import { avif, heic, heif, heifClaiming, heifWithDamagedData } from '../support/heif-images';
import { photosProcessed } from '../support/processing';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';
import { asBuffer, flashAfter, photoIds, sha256, upload } from '../support/uploads';

describe.each(backends())('HEIC, HEIF and AVIF uploads [%s]', (backend) => {
  let t: TestApp;
  let storage: BlobStorage;
  const em = () => t.app.get(MikroORM).em.fork();
  const account = (username: string) => em().findOneOrFail(User, { usernameKey: username });
  const blobKeys = async (prefix: string) => {
    const keys: string[] = [];
    for await (const blob of storage.list(prefix)) keys.push(blob.key);
    return keys.sort();
  };

  beforeAll(async () => {
    t = await createTestApp(backend, { env: { DEFAULT_QUOTA_MB: '10' } });
    storage = t.app.get(BLOB_STORAGE);
    await loggedInBrowser(t.app, 'theadmin'); // the first account is the admin's, without a quota
  });

  afterAll(async () => {
    await t?.close();
  });

  async function uploadOne(username: string, name: string, data: Buffer) {
    const browser = await loggedInBrowser(t.app, username);
    await upload(browser, [{ name, data }]);
    const flash = await flashAfter(browser);
    await photosProcessed(t.app);
    const [id] = photoIds((await browser.get('/')).text);
    return { browser, flash, id };
  }

  /** Average red, green and blue of the top and bottom fifth of an image. */
  async function topAndBottom(image: Buffer) {
    const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const band = (from: number, to: number) => {
      const sum = [0, 0, 0];
      for (let y = from; y < to; y++)
        for (let x = 0; x < info.width; x++) for (let c = 0; c < 3; c++) sum[c] += data[(y * info.width + x) * 3 + c];
      return sum.map((s) => Math.round(s / ((to - from) * info.width)));
    };
    const fifth = Math.floor(info.height / 5);
    return { top: band(0, fifth), bottom: band(info.height - fifth, info.height) };
  }

  describe('an iPhone-like HEIC', () => {
    let browser: Browser;
    let id: string;

    beforeAll(async () => {
      const uploaded = await uploadOne('iphone', 'IMG_0042.HEIC', heic());
      expect(uploaded.flash).toBe('1 photo uploaded.');
      ({ browser, id } = uploaded);
    });

    it('is stored as image/heic with its upright size and capture date', async () => {
      const [photo] = await em().find(Photo, { id });
      expect(photo).toMatchObject({ contentType: 'image/heic', width: 48, height: 64, status: 'ready', sizeBytes: heic().length });
      expect(photo.takenAt?.toISOString()).toBe('2024-07-14T16:30:05.000Z');
      expect(await blobKeys(`${photo.ownerId}/${id}/`)).toEqual([
        `${photo.ownerId}/${id}/original.heic`,
        `${photo.ownerId}/${id}/preview.webp`,
        `${photo.ownerId}/${id}/thumb.webp`,
      ]);
      const page = await browser.get(`/photos/${id}`);
      expect(page.text).toContain('48 × 64 px');
      expect(page.text).toContain('14 Jul 2024');
    });

    it('serves the original byte for byte as image/heic with the safe headers, and downloads it as .HEIC', async () => {
      const res = await browser.agent.get(`/photos/${id}/original`).buffer(true).parse(asBuffer);
      expect(res.status).toBe(200);
      expect(sha256(res.body)).toBe(sha256(heic()));
      expect(res.headers).toMatchObject({
        'content-type': 'image/heic',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
        'cross-origin-resource-policy': 'same-origin',
        etag: `"${sha256(heic())}"`,
      });
      const download = await browser.agent.get(`/photos/${id}/original?download=1`);
      expect(download.headers['content-disposition']).toContain('filename="IMG_0042.HEIC"');
    });

    it.each(['thumbnail', 'preview'])('serves a %s as WebP, turned by the file’s own rotation exactly once', async (rendition) => {
      const res = await browser.agent.get(`/photos/${id}/${rendition}`).buffer(true).parse(asBuffer);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('image/webp');
      expect(await sharp(res.body).metadata()).toMatchObject({ format: 'webp', width: 48, height: 64 });
      const { top, bottom } = await topAndBottom(res.body);
      expect(top[2]).toBeGreaterThan(150); // the blue band, coded on the left, shows on top
      expect(top[0]).toBeLessThan(90);
      expect(bottom[0]).toBeGreaterThan(150); // and the red rest below it
      expect(bottom[2]).toBeLessThan(90);
    });
  });

  it('accepts a HEIF with the mif1 brand as image/heif', async () => {
    const { flash, id } = await uploadOne('heifer', 'scan.heif', heif());
    expect(flash).toBe('1 photo uploaded.');
    const [photo] = await em().find(Photo, { id });
    expect(photo).toMatchObject({ contentType: 'image/heif', width: 40, height: 30, takenAt: null });
  });

  it('accepts an AVIF as image/avif, with its capture date and renditions', async () => {
    const { browser, flash, id } = await uploadOne('aviator', 'sky.avif', avif());
    expect(flash).toBe('1 photo uploaded.');
    const [photo] = await em().find(Photo, { id });
    expect(photo).toMatchObject({ contentType: 'image/avif', width: 64, height: 48 });
    expect(photo.takenAt?.toISOString()).toBe('2023-03-09T08:15:00.000Z');
    const original = await browser.agent.get(`/photos/${id}/original`).buffer(true).parse(asBuffer);
    expect(original.headers['content-type']).toBe('image/avif');
    expect(sha256(original.body)).toBe(sha256(avif()));
    const thumbnail = await browser.agent.get(`/photos/${id}/thumbnail`).buffer(true).parse(asBuffer);
    expect(await sharp(thumbnail.body).metadata()).toMatchObject({ format: 'webp', width: 64, height: 48 });
  });

  it('refuses truncated HEICs and HEICs whose header claims a huge size before decoding; a garbled one fails in processing; nothing is left behind', async () => {
    const browser = await loggedInBrowser(t.app, 'breaker');
    const whole = heic();
    await upload(browser, [
      { name: 'cut.heic', data: whole.subarray(0, Math.floor(whole.length * 0.7)) },
      { name: 'garbled.heic', data: heifWithDamagedData(whole) },
      { name: 'huge.heic', data: heifClaiming(whole, 65500, 65500) },
      { name: 'wide.heic', data: heifClaiming(whole, 20000, 20000) },
    ]);
    // The request reads headers only: the garbled file's header is intact, so its pixels fail in processing.
    expect(await flashAfter(browser)).toBe(
      '1 photo uploaded. 3 skipped: cut.heic could not be read as an image; it may be damaged. ' +
        'huge.heic is too large: 65500 × 65500 pixels (at most 100 megapixels). ' +
        'wide.heic is too large: 20000 × 20000 pixels (at most 100 megapixels).',
    );
    await photosProcessed(t.app);
    const user = await account('breaker');
    expect(user.usedBytes).toBe(0);
    const photos = await em().find(Photo, { ownerId: user.id });
    expect(photos.map((p) => [p.displayName, p.status, p.failureReason])).toEqual([
      ['garbled.heic', 'failed', 'Could not be read as an image; it may be damaged or incomplete.'],
    ]);
    expect(await blobKeys(`${user.id}/`)).toEqual([]);
  });

  it('names every accepted type when refusing a text file', async () => {
    const browser = await loggedInBrowser(t.app, 'typist');
    await upload(browser, [{ name: 'notes.txt', data: Buffer.from('just some notes\n') }]);
    expect(await flashAfter(browser)).toBe(
      'No photos uploaded. 1 skipped: notes.txt is not a supported image (JPEG, PNG, WebP, GIF, HEIC, HEIF or AVIF).',
    );
  });
});
