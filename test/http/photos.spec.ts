import { MikroORM } from '@mikro-orm/core';
import sharp from 'sharp';
import exifr from 'exifr';
import { Photo } from '../../src/photos/photo.entity';
import { BLOB_STORAGE, BlobStorage } from '../../src/storage/blob-storage.port';
import { Browser, loggedInBrowser } from '../support/browser';
import { gif, jpeg, jpegWithExif, png, pngClaiming, webp } from '../support/images';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';
import { photosProcessed } from '../support/processing';
import { asBuffer, decodeEntities, flashAfter, photoIds, sha256, upload } from '../support/uploads';

/** For tests that store dozens of real photos (every rendition and blob), which take long on a busy machine. */
const SLOW_UPLOADS_MS = 120_000;
describe.each(backends())('photos [%s]', (backend) => {
  let t: TestApp;
  let storage: BlobStorage;
  let seed = 0;
  const next = () => ++seed;

  const rows = (where: object = {}) => t.app.get(MikroORM).em.fork().find(Photo, where);
  const blobKeys = async (prefix = '') => {
    const keys: string[] = [];
    for await (const blob of storage.list(prefix)) keys.push(blob.key);
    return keys.sort();
  };

  beforeAll(async () => {
    t = await createTestApp(backend, { env: { MAX_UPLOAD_MB: '1' } });
    storage = t.app.get(BLOB_STORAGE);
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('GET /photos/:id/card', () => {
    it("gives the upload panel one photo's card for the top of the grid, with the storage line out of band", async () => {
      const browser = await loggedInBrowser(t.app, 'carded');
      await upload(browser, [{ name: 'card.jpg', data: await jpeg(320, 240, next()) }]);
      const [id] = photoIds((await browser.get('/')).text);
      const res = await browser.get(`/photos/${id}/card`, { 'HX-Request': 'true' });
      expect(res.status).toBe(200);
      expect(res.text).not.toContain('<html');
      expect(photoIds(res.text)).toEqual([id]);
      expect(res.text).toContain('title="card.jpg"');
      expect(res.text).toContain('<div id="empty-state" hidden hx-swap-oob="true"></div>');
      expect(res.text).toMatch(/<div id="storage-usage"[^>]* hx-swap-oob="true">/);
      const stranger = await loggedInBrowser(t.app, 'notcarded');
      expect((await stranger.get(`/photos/${id}/card`, { 'HX-Request': 'true' })).status).toBe(404);
    });
  });

  describe('POST /upload-photos', () => {
    it('stores JPEG, PNG, WebP and GIF and redirects to the gallery with one summary', async () => {
      const browser = await loggedInBrowser(t.app, 'uploader');
      const files = [
        { name: 'beach.jpg', data: await jpeg(640, 480, next()) },
        { name: 'chart.png', data: await png(320, 240, next()) },
        { name: 'sticker.webp', data: await webp(320, 240, next()) },
        { name: 'wave.gif', data: await gif(64, 48, next()) },
      ];
      const res = await upload(browser, files);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/');
      expect(await flashAfter(browser)).toBe('4 photos uploaded.');
      await photosProcessed(t.app);

      const gallery = await browser.get('/');
      expect(photoIds(gallery.text)).toHaveLength(4);
      for (const name of ['beach.jpg', 'chart.png', 'sticker.webp', 'wave.gif']) expect(gallery.text).toContain(`title="${name}"`);
      const stored = await rows({ displayName: 'beach.jpg' });
      expect(stored[0]).toMatchObject({
        contentType: 'image/jpeg',
        width: 640,
        height: 480,
        status: 'ready',
        sha256: sha256(files[0].data),
        sizeBytes: files[0].data.length,
      });
      const owner = stored[0].ownerId;
      expect(await blobKeys(`${owner}/${stored[0].id}/`)).toEqual([
        `${owner}/${stored[0].id}/original.jpg`,
        `${owner}/${stored[0].id}/preview.webp`,
        `${owner}/${stored[0].id}/thumb.webp`,
      ]);
    });

    it('rejects each bad file with its reason while the good ones go in', async () => {
      const browser = await loggedInBrowser(t.app, 'picky');
      const good = await jpeg(400, 300, next());
      const truncated = await jpeg(800, 600, next());
      const res = await upload(browser, [
        { name: 'ok.jpg', data: good },
        { name: 'notes.png', data: Buffer.from('just some notes, not an image\n') },
        { name: 'junk.png', data: Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(2000, 7)]) },
        { name: 'cut.jpg', data: truncated.subarray(0, Math.floor(truncated.length / 2)) },
        { name: 'empty.jpg', data: Buffer.alloc(0) },
        { name: 'page.jpg', data: Buffer.from('<!doctype html><script>alert(1)</script>') },
        { name: 'drawing.svg', data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') },
        { name: 'bomb.png', data: pngClaiming(20000, 20000) },
      ]);
      expect(res.status).toBe(303);
      // The request reads headers only: a file whose header is fine but whose pixels are cut off fails in processing.
      expect(await flashAfter(browser)).toBe(
        '2 photos uploaded. 6 skipped: notes.png is not a supported image (JPEG, PNG, WebP, GIF, HEIC, HEIF or AVIF). ' +
          'junk.png could not be read as an image; it may be damaged. ' +
          'empty.jpg is empty. page.jpg is not a supported image (JPEG, PNG, WebP, GIF, HEIC, HEIF or AVIF). drawing.svg is not a supported image (JPEG, PNG, WebP, GIF, HEIC, HEIF or AVIF). ' +
          'bomb.png is too large: 20000 × 20000 pixels (at most 100 megapixels).',
      );
      await photosProcessed(t.app);
      const owner = (await rows({ displayName: 'ok.jpg' }))[0].ownerId;
      expect((await rows({ ownerId: owner })).map((p) => [p.displayName, p.status, p.failureReason]).sort()).toEqual([
        ['cut.jpg', 'failed', 'Could not be read as an image; it may be damaged or incomplete.'],
        ['ok.jpg', 'ready', null],
      ]);
      expect(await blobKeys(`${owner}/`)).toHaveLength(3);
    });

    it('refuses a file one byte over MAX_UPLOAD_MB and accepts one exactly at it', async () => {
      const browser = await loggedInBrowser(t.app, 'bigfiles');
      const limit = 1024 * 1024;
      const padded = async (size: number) => {
        const image = await jpeg(300, 200, next());
        return Buffer.concat([image, Buffer.alloc(size - image.length)]); // bytes after the JPEG's end are ignored
      };
      await upload(browser, [
        { name: 'at-limit.jpg', data: await padded(limit) },
        { name: 'over.jpg', data: await padded(limit + 1) },
      ]);
      expect(await flashAfter(browser)).toBe('1 photo uploaded. 1 skipped: over.jpg is larger than 1 MB.');
      expect(await rows({ displayName: 'over.jpg' })).toHaveLength(0);
    });

    it(
      'takes at most 100 files in one request and says so',
      async () => {
        const browser = await loggedInBrowser(t.app, 'manyfiles');
        const files = await Promise.all(
          Array.from({ length: 101 }, async (_, i) => ({ name: `tiny-${i}.png`, data: await png(8, 8, 1000 + i) })),
        );
        await upload(browser, files);
        expect(await flashAfter(browser)).toBe(
          '100 photos uploaded. 1 skipped: Only 100 files can be uploaded at once; the rest were not uploaded.',
        );
      },
      SLOW_UPLOADS_MS,
    ); // 100 real uploads: 12–19 s on MariaDB + Azurite, over 30 s on a busy machine

    it('refuses more than 20 other form fields as what they are, not as too many files', async () => {
      const browser = await loggedInBrowser(t.app, 'manyfields');
      let req = browser.agent.post('/upload-photos').redirects(0).field('_csrf', browser.csrfToken!);
      for (let i = 0; i < 130; i++) req = req.field(`extra${i}`, 'x');
      const res = await req.attach('photos', await jpeg(200, 150, next()), { filename: 'one.jpg', contentType: 'image/jpeg' });
      expect({
        status: res.status,
        message: decodeEntities(res.text).includes('The upload has more than 20 form fields besides the photos.'),
      }).toEqual({
        status: 400,
        message: true,
      });
      expect(await flashAfter(browser)).not.toContain('Only 100 files');
      expect(await rows({ displayName: 'one.jpg' })).toHaveLength(0);
    });

    it('does not store the same bytes twice, but keeps different photos with the same name', async () => {
      const browser = await loggedInBrowser(t.app, 'dupes');
      const photo = await jpeg(500, 400, next());
      await upload(browser, [{ name: 'IMG_0001.jpg', data: photo }]);
      await flashAfter(browser);
      await upload(browser, [
        { name: 'copy.jpg', data: photo },
        { name: 'IMG_0001.jpg', data: await jpeg(500, 400, next()) },
      ]);
      expect(await flashAfter(browser)).toBe('1 photo uploaded. 1 skipped: copy.jpg is already in your library.');
      const owner = (await rows({ sha256: sha256(photo) }))[0].ownerId;
      expect((await rows({ ownerId: owner })).map((p) => p.displayName).sort()).toEqual(['IMG_0001.jpg', 'IMG_0001.jpg']);
    });

    it('never lets a file name into a storage key, and shows names cleaned and escaped', async () => {
      const browser = await loggedInBrowser(t.app, 'names');
      const longName = '写真'.repeat(150) + '.jpg';
      const names = ['../../x.jpg', '..\\..\\y.jpg', '<img src=x onerror=alert(1)>.jpg', longName];
      const res = await upload(browser, await Promise.all(names.map(async (name) => ({ name, data: await jpeg(200, 150, next()) }))));
      expect(res.status).toBe(303);
      expect(await flashAfter(browser)).toBe('4 photos uploaded.');
      await photosProcessed(t.app);
      const mine = await rows({ ownerId: (await rows({ displayName: 'x.jpg' }))[0].ownerId });
      const shown = mine.map((p) => p.displayName);
      expect(shown).toEqual(expect.arrayContaining(['x.jpg', 'y.jpg', '<img src=x onerror=alert(1)>.jpg']));
      const long = shown.find((n) => n.startsWith('写真'))!;
      expect([...long].length).toBeLessThanOrEqual(255);
      expect(long.endsWith('.jpg')).toBe(true);
      for (const key of await blobKeys()) {
        expect(key).toMatch(/^[0-9a-f-]{36}\/[0-9a-f-]{36}\/(original\.(jpg|png|webp|gif)|thumb\.webp|preview\.webp)$/);
      }
      const gallery = await browser.get('/');
      expect(gallery.text).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;.jpg');
      expect(gallery.text).not.toContain('<img src=x');
    });

    it('answers htmx with the new cards and a toast, and 422 with only a toast when nothing was stored', async () => {
      const browser = await loggedInBrowser(t.app, 'htmxer');
      const ok = await upload(
        browser,
        [
          { name: 'new.jpg', data: await jpeg(300, 200, next()) },
          { name: 'notes.txt', data: Buffer.from('hi') },
        ],
        { htmx: true },
      );
      expect(ok.status).toBe(200);
      expect(photoIds(ok.text)).toHaveLength(1);
      expect(ok.text).toContain('<div id="toasts" hx-swap-oob="beforeend">');
      expect(ok.text).toContain(
        '1 photo uploaded. 1 skipped: notes.txt is not a supported image (JPEG, PNG, WebP, GIF, HEIC, HEIF or AVIF).',
      );
      expect(ok.text).toContain('<div id="empty-state" hidden hx-swap-oob="true">');
      expect(ok.text).not.toContain('<html');
      const bad = await upload(browser, [{ name: 'notes.txt', data: Buffer.from('hi') }], { htmx: true });
      expect(bad.status).toBe(422);
      expect(bad.headers['hx-reswap']).toBe('none');
      expect(photoIds(bad.text)).toHaveLength(0);
      expect(bad.text).toContain(
        'No photos uploaded. 1 skipped: notes.txt is not a supported image (JPEG, PNG, WebP, GIF, HEIC, HEIF or AVIF).',
      );
    });

    it('asks for files when none were sent', async () => {
      const browser = await loggedInBrowser(t.app, 'nofiles');
      const res = await browser.agent.post('/upload-photos').type('form').send({ _csrf: browser.csrfToken }).redirects(0);
      expect(res.status).toBe(400);
      expect(res.text).toContain('Choose one or more photos to upload.');
    });

    it('refuses a multipart upload without a CSRF token before storing anything', async () => {
      const browser = await loggedInBrowser(t.app, 'forged');
      const before = await blobKeys();
      const res = await browser.agent
        .post('/upload-photos')
        .attach('photos', await jpeg(200, 100, next()), 'forged-1.jpg')
        .redirects(0);
      expect(res.status).toBe(403);
      const wrong = await browser.agent
        .post('/upload-photos')
        .field('_csrf', 'not-the-token')
        .attach('photos', await jpeg(200, 100, next()), 'forged-2.jpg')
        .redirects(0);
      expect(wrong.status).toBe(403);
      expect(await blobKeys()).toEqual(before);
      expect(await rows({ displayName: { $in: ['forged-1.jpg', 'forged-2.jpg'] } })).toHaveLength(0);
    });
  });

  describe('gallery', () => {
    it('shows the empty state to a new user', async () => {
      const browser = await loggedInBrowser(t.app, 'newbie');
      const page = await browser.get('/');
      expect(page.text).toMatch(/<div id="empty-state"[^>]*>\s*<i[^>]*><\/i>\s*No photos yet\. Upload to get started\./);
      expect(page.text).not.toMatch(/<div id="empty-state"[^>]*hidden/);
    });

    it(
      'pages newest first by keyset, with infinite scroll for htmx and an "Older photos" link without it',
      async () => {
        const browser = await loggedInBrowser(t.app, 'scroller');
        const files = await Promise.all(
          Array.from({ length: 65 }, async (_, i) => ({ name: `p${String(i).padStart(2, '0')}.png`, data: await png(16, 16, 5000 + i) })),
        );
        for (let i = 0; i < files.length; i += 13) {
          await upload(browser, files.slice(i, i + 13));
          t.clock.advance(1000);
        }
        const first = await browser.get('/');
        const firstIds = photoIds(first.text);
        expect(firstIds).toHaveLength(30);
        expect(first.text).toContain('title="p64.png"'); // newest batch first
        const nextUrl = /hx-get="(\/\?before=[^"]+)"/.exec(first.text)![1];
        expect(first.text).toContain(`href="${nextUrl}"`);
        expect(first.text).toMatch(/hx-trigger="revealed"/);

        const second = await browser.get(nextUrl, { 'HX-Request': 'true' });
        expect(second.text).not.toContain('<html');
        const secondIds = photoIds(second.text);
        expect(secondIds).toHaveLength(30);
        const thirdUrl = /hx-get="(\/\?before=[^"]+)"/.exec(second.text)![1];
        const third = await browser.get(thirdUrl);
        expect(third.text).toContain('<html');
        const thirdIds = photoIds(third.text);
        expect(thirdIds).toHaveLength(5);
        expect(third.text).not.toContain('hx-trigger="revealed"');
        expect(new Set([...firstIds, ...secondIds, ...thirdIds]).size).toBe(65);
        // The oldest page holds only photos of the first batch (p00–p12).
        const titles = [...third.text.matchAll(/title="(p\d\d\.png)"/g)].map((m) => m[1]);
        expect(titles).toHaveLength(5);
        for (const title of titles) expect(title).toMatch(/^p(0\d|1[0-2])\.png$/);
      },
      SLOW_UPLOADS_MS,
    );

    it('opens a photo with its details and a download link', async () => {
      const browser = await loggedInBrowser(t.app, 'viewer');
      await upload(browser, [{ name: 'trip.jpg', data: await jpegWithExif(next()) }]);
      await photosProcessed(t.app);
      const [id] = photoIds((await browser.get('/')).text);
      const page = await browser.get(`/photos/${id}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain(`src="/photos/${id}/preview"`);
      expect(page.text).toContain('400 × 600 px'); // stored sideways, shown upright
      expect(page.text).toContain('14 Jul 2024');
      expect(page.text).toContain(`href="/photos/${id}/original?download&#x3D;1"`);
      expect(page.text).toContain('Download original');
    });
  });

  describe('image delivery', () => {
    let browser: Browser;
    let id: string;
    let original: Buffer;

    beforeAll(async () => {
      browser = await loggedInBrowser(t.app, 'deliverer');
      original = await jpegWithExif(next());
      // A raw part whose RFC 5987 file name decodes to a quote, CR LF and a header line, plus non-ASCII letters.
      const boundary = 'photosphere-test-boundary';
      const body = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${browser.csrfToken}\r\n`),
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="photos"; filename*=UTF-8''a%22%0D%0AX-Injected%3A%201%20na%C3%AFve%20%E5%86%99%E7%9C%9F.jpg\r\nContent-Type: image/jpeg\r\n\r\n`,
        ),
        original,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const res = await browser.agent
        .post('/upload-photos')
        .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
        .send(body)
        .redirects(0);
      expect(res.status).toBe(303);
      await photosProcessed(t.app);
      [id] = photoIds((await browser.get('/')).text);
    });

    it('serves the original byte for byte with safe headers and a strong ETag', async () => {
      const res = await browser.agent.get(`/photos/${id}/original`).buffer(true).parse(asBuffer);
      expect(res.status).toBe(200);
      expect(sha256(res.body)).toBe(sha256(original));
      expect(res.headers['content-type']).toBe('image/jpeg');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
      expect(res.headers['cache-control']).toBe('private, max-age=31536000, immutable');
      expect(res.headers.etag).toBe(`"${sha256(original)}"`);
      expect(res.headers['content-disposition']).toBeUndefined();
    });

    it.each(['thumbnail', 'preview'])('serves a %s as WebP, upright, with no metadata', async (rendition) => {
      const res = await browser.agent.get(`/photos/${id}/${rendition}`).buffer(true).parse(asBuffer);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('image/webp');
      const meta = await sharp(res.body).metadata();
      expect(meta.format).toBe('webp');
      expect(meta.height).toBeGreaterThan(meta.width!); // 600×400 stored with Orientation 6 → portrait
      expect(meta.exif).toBeUndefined();
      expect(await exifr.parse(res.body).catch(() => undefined)).toBeUndefined();
    });

    it('answers 304 to a matching If-None-Match', async () => {
      const first = await browser.agent.get(`/photos/${id}/thumbnail`);
      const again = await browser.agent.get(`/photos/${id}/thumbnail`).set('If-None-Match', first.headers.etag);
      expect(again.status).toBe(304);
    });

    it('downloads with an RFC 6266 file name that cannot inject headers', async () => {
      const res = await browser.agent.get(`/photos/${id}/original?download=1`);
      const disposition = res.headers['content-disposition'];
      expect(disposition).toMatch(/^attachment; filename="[^"\r\n]*"; filename\*=UTF-8''/);
      expect(disposition).toContain("filename*=UTF-8''a%22X-Injected%3A%201%20na%C3%AFve%20%E5%86%99%E7%9C%9F.jpg");
      expect(disposition).toContain('filename="a_X-Injected: 1 na_ve __.jpg"');
      expect(res.headers['x-injected']).toBeUndefined();
    });
  });

  describe('ownership', () => {
    it("hides another user's photos completely: the same 404 as an unknown id", async () => {
      const alice = await loggedInBrowser(t.app, 'alice');
      const bob = await loggedInBrowser(t.app, 'bob');
      await upload(alice, [{ name: 'private.jpg', data: await jpeg(300, 200, next()) }]);
      await photosProcessed(t.app);
      const [id] = photoIds((await alice.get('/')).text);
      expect(photoIds((await bob.get('/')).text)).not.toContain(id);

      const unknown = '00000000-0000-4000-8000-000000000000';
      for (const path of ['', '/thumbnail', '/preview', '/original', '/original?download=1', '/delete']) {
        const theirs = await bob.get(`/photos/${id}${path}`);
        const missing = await bob.get(`/photos/${unknown}${path}`);
        expect({ path, status: theirs.status }).toEqual({ path, status: 404 });
        expect(theirs.text.replace(/[A-Za-z0-9_-]{43}/g, 'TOKEN')).toBe(missing.text.replace(/[A-Za-z0-9_-]{43}/g, 'TOKEN'));
      }
      const del = await bob.submit(`/delete-photo/${id}`, {});
      expect(del.status).toBe(404);
      expect(await rows({ id })).toHaveLength(1);
      expect((await alice.get(`/photos/${id}/thumbnail`)).status).toBe(200);
    });

    it('sends anonymous visitors to log in', async () => {
      const anonymous = new Browser(t.app);
      const res = await anonymous.get('/photos/00000000-0000-4000-8000-000000000000/original');
      expect(res.status).toBe(302);
      expect(res.headers.location).toMatch(/^\/login\?next=/);
    });

    it('answers an image request without a login with a bare 401: no redirect, no new session', async () => {
      const res = await new Browser(t.app).get('/photos/00000000-0000-4000-8000-000000000000/thumbnail', { 'Sec-Fetch-Dest': 'image' });
      expect(res.status).toBe(401);
      expect(res.headers.location).toBeUndefined();
      expect(res.headers['set-cookie']).toBeUndefined();
    });
  });

  describe('delete', () => {
    it('removes the row and every blob; twice or unknown is a 404', async () => {
      const browser = await loggedInBrowser(t.app, 'deleter');
      await upload(browser, [{ name: 'gone.jpg', data: await jpeg(300, 200, next()) }]);
      await photosProcessed(t.app);
      const [id] = photoIds((await browser.get('/')).text);
      const [photo] = await rows({ id });
      expect(await blobKeys(`${photo.ownerId}/${id}/`)).toHaveLength(3);

      const res = await browser.submit(`/delete-photo/${id}`, {});
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/');
      expect(await flashAfter(browser)).toBe('Deleted gone.jpg.');
      expect(await rows({ id })).toHaveLength(0);
      expect(await blobKeys(`${photo.ownerId}/${id}/`)).toEqual([]);
      expect((await browser.submit(`/delete-photo/${id}`, {})).status).toBe(404);
      expect((await browser.submit('/delete-photo/not-a-uuid', {})).status).toBe(404);
    });

    it('answers htmx with an empty swap and a toast', async () => {
      const browser = await loggedInBrowser(t.app, 'htmxdeleter');
      await upload(browser, [{ name: 'fade.jpg', data: await jpeg(300, 200, next()) }]);
      const [id] = photoIds((await browser.get('/')).text);
      const res = await browser.agent.post(`/delete-photo/${id}`).set({ 'HX-Request': 'true', 'X-CSRF-Token': browser.csrfToken! });
      expect(res.status).toBe(200);
      // Nothing but out-of-band swaps: the storage meter and the toast.
      expect(res.text.trim()).toMatch(
        /^<div id="storage-usage"[^>]*hx-swap-oob="true">[\s\S]*?<\/div>\s*<div id="toasts" hx-swap-oob="beforeend">[\s\S]*Deleted fade\.jpg\.[\s\S]*<\/div>$/,
      );
    });

    it('asks first when JavaScript is off', async () => {
      const browser = await loggedInBrowser(t.app, 'nojs');
      await upload(browser, [{ name: 'ask.jpg', data: await jpeg(300, 200, next()) }]);
      const gallery = await browser.get('/');
      const [id] = photoIds(gallery.text);
      expect(gallery.text).toContain(`href="/photos/${id}/delete"`);
      const confirm = await browser.get(`/photos/${id}/delete`);
      expect(confirm.text).toContain('Delete ask.jpg?');
      expect(confirm.text).toContain(`action="/delete-photo/${id}"`);
      expect(await rows({ id })).toHaveLength(1);
    });
  });
});
