import { MikroORM } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Photo } from '../../src/photos/photo.entity';
import { photoKeys } from '../../src/photos/photo-keys';
import { StorageCheckService } from '../../src/photos/storage-check.service';
import { PhotoRows, QuotaCorrection } from '../../src/photos/photo-rows';
import { BLOB_STORAGE, BlobStorage } from '../../src/storage/blob-storage.port';
import { User } from '../../src/users/user.entity';
import { loggedInBrowser } from '../support/browser';
import { photosProcessed } from '../support/processing';
import { jpeg } from '../support/images';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';
import { decodeEntities, photoIds, upload } from '../support/uploads';

const MINUTE = 60_000;

describe.each(backends())('storage check [%s]', (backend) => {
  let t: TestApp;
  let storage: BlobStorage;
  let sut: StorageCheckService;
  const em = () => t.app.get(MikroORM).em.fork();
  const exists = (key: string) => storage.exists(key);

  beforeAll(async () => {
    t = await createTestApp(backend);
    storage = t.app.get(BLOB_STORAGE);
    sut = t.app.get(StorageCheckService);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('removes orphan blobs, photos with missing blobs and interrupted uploads, and leaves healthy photos alone', async () => {
    const browser = await loggedInBrowser(t.app, 'checked');
    await upload(browser, [
      { name: 'healthy.jpg', data: await jpeg(300, 200, 1) },
      { name: 'broken.jpg', data: await jpeg(300, 200, 2) },
    ]);
    await photosProcessed(t.app);
    const [healthy, broken] = await Promise.all(
      ['healthy.jpg', 'broken.jpg'].map((displayName) => em().findOneOrFail(Photo, { displayName })),
    );
    const ownerId = healthy.ownerId;

    // A blob with no row (planted), a photo that lost its thumbnail, and an upload that was killed mid-way.
    const orphanKey = `${ownerId}/${randomUUID()}/original.jpg`;
    await storage.put(orphanKey, Readable.from(await jpeg(50, 50, 3)), { contentType: 'image/jpeg' });
    await storage.delete(photoKeys(broken).thumbnail);
    const interrupted = em().create(
      Photo,
      {
        ownerId,
        displayName: 'killed.jpg',
        contentType: 'image/jpeg',
        sizeBytes: 10,
        width: 1,
        height: 1,
        sha256: 'f'.repeat(64),
        uploadedAt: t.clock.now(),
        status: 'pending',
      },
      { persist: false },
    );
    expect(await t.app.get(PhotoRows).add(interrupted)).toBe(true); // as the upload did: its row, its bytes counted
    await storage.put(photoKeys(interrupted).original, Readable.from(Buffer.from('partial')), { contentType: 'image/jpeg' });

    // Within the first 15 minutes nothing that might still be in flight is touched, but the orphan is gone.
    expect(await sut.run()).toEqual({ orphanBlobs: 1, missingBlobs: 0, stalePending: 0, usageCorrected: [] });
    expect(await exists(orphanKey)).toBe(false);
    expect(await em().count(Photo, { id: interrupted.id })).toBe(1);

    t.clock.advance(16 * MINUTE);
    expect(await sut.run()).toEqual({ orphanBlobs: 0, missingBlobs: 1, stalePending: 1, usageCorrected: [] });
    expect(await em().count(Photo, { id: { $in: [broken.id, interrupted.id] } })).toBe(0);
    for (const key of [...Object.values(photoKeys(broken)), photoKeys(interrupted).original]) expect(await exists(key)).toBe(false);

    expect(await em().count(Photo, { id: healthy.id })).toBe(1);
    for (const key of Object.values(photoKeys(healthy))) expect(await exists(key)).toBe(true);
    expect(photoIds((await browser.get('/')).text)).toEqual([healthy.id]);
    expect(await sut.run()).toEqual({ orphanBlobs: 0, missingBlobs: 0, stalePending: 0, usageCorrected: [] });
    expect((await em().findOneOrFail(User, { id: ownerId })).usedBytes).toBe(healthy.sizeBytes);
  });

  it('recounts bytes used that no photo accounts for (a crash of an older version), and reports what it corrected', async () => {
    const [lost, negative, right] = await Promise.all(['lostbytes', 'negative', 'rightbytes'].map((name) => loggedInBrowser(t.app, name)));
    await upload(lost, [{ name: 'one.jpg', data: await jpeg(300, 200, 11) }]);
    await upload(right, [{ name: 'two.jpg', data: await jpeg(300, 200, 12) }]);
    const user = (username: string) => em().findOneOrFail(User, { usernameKey: username });
    const sizeOf = async (username: string) =>
      (await em().find(Photo, { ownerId: (await user(username)).id })).reduce((sum, p) => sum + p.sizeBytes, 0);
    const lostSize = await sizeOf('lostbytes');
    // 170 KB reserved by an upload killed before its row was written; and a count that went below zero.
    await em().nativeUpdate(User, { usernameKey: 'lostbytes' }, { usedBytes: lostSize + 170 * 1024 });
    await em().nativeUpdate(User, { usernameKey: 'negative' }, { usedBytes: -5 });

    const report = await sut.run();
    expect({ ...report, usageCorrected: [...report.usageCorrected].sort((a, b) => a.username.localeCompare(b.username)) }).toEqual({
      orphanBlobs: 0,
      missingBlobs: 0,
      stalePending: 0,
      usageCorrected: [
        { userId: (await user('lostbytes')).id, username: 'lostbytes', wasBytes: lostSize + 170 * 1024, nowBytes: lostSize },
        { userId: (await user('negative')).id, username: 'negative', wasBytes: -5, nowBytes: 0 },
      ],
    });
    expect((await user('lostbytes')).usedBytes).toBe(lostSize);
    expect((await user('negative')).usedBytes).toBe(0);
    expect((await user('rightbytes')).usedBytes).toBe(await sizeOf('rightbytes'));
    expect(decodeEntities((await negative.get('/')).text)).toContain('Storage: 0 B used');
    expect((await sut.run()).usageCorrected).toEqual([]);
  });

  it('never corrects an account while its uploads and deletes run beside the check', async () => {
    const browser = await loggedInBrowser(t.app, 'busybee');
    await upload(browser, [{ name: 'old.jpg', data: await jpeg(300, 200, 20) }]);
    const [oldId] = photoIds((await browser.get('/')).text);
    const uploads = Promise.all(
      [21, 22].map(async (seed) => upload(browser, [{ name: `new-${seed}.jpg`, data: await jpeg(600, 400, seed) }])),
    );
    const deleted = browser.agent.post(`/delete-photo/${oldId}`).set({ 'HX-Request': 'true', 'X-CSRF-Token': browser.csrfToken! });
    let done = false;
    const finished = Promise.all([uploads, deleted]).finally(() => (done = true));
    const corrections: QuotaCorrection[] = [];
    do corrections.push(...(await sut.run()).usageCorrected);
    while (!done);
    await finished;
    expect(corrections).toEqual([]);
    const owner = await em().findOneOrFail(User, { usernameKey: 'busybee' });
    const photos = await em().find(Photo, { ownerId: owner.id });
    expect(photos.map((p) => p.displayName).sort()).toEqual(['new-21.jpg', 'new-22.jpg']);
    expect(owner.usedBytes).toBe(photos.reduce((sum, p) => sum + p.sizeBytes, 0));
  });
});

describe('storage outage during an upload', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(backends().includes('mysql') ? 'mysql' : 'sqlite', { storage: 'azure' });
  });

  afterAll(async () => {
    await t?.azurite?.resume().catch(() => undefined);
    await t?.close();
  });

  it('says so clearly, keeps no row and no blob, and works again when storage is back', async () => {
    const browser = await loggedInBrowser(t.app, 'outage');
    const storage = t.app.get<BlobStorage>(BLOB_STORAGE);
    await t.azurite!.pause();
    const started = Date.now();
    const res = await upload(browser, [
      { name: 'during.jpg', data: await jpeg(400, 300, 7) },
      { name: 'also.jpg', data: await jpeg(400, 300, 8) },
    ]);
    expect(Date.now() - started).toBeLessThan(35_000);
    expect(res.status).toBe(303);
    const page = await browser.get('/');
    expect(page.text).toContain(
      'No photos uploaded. 2 skipped: during.jpg was not stored: photo storage is unavailable. Please try again in a moment. ' +
        'also.jpg was not stored: photo storage is unavailable.',
    );
    expect(await t.app.get(MikroORM).em.fork().count(Photo, {})).toBe(0);

    const htmx = await upload(browser, [{ name: 'during.jpg', data: await jpeg(400, 300, 7) }], { htmx: true });
    expect(htmx.status).toBe(503);
    expect(htmx.headers['hx-reswap']).toBe('none');

    await t.azurite!.resume();
    const keys: string[] = [];
    for await (const blob of storage.list('')) keys.push(blob.key);
    expect(keys).toEqual([]);
    await upload(browser, [{ name: 'after.jpg', data: await jpeg(400, 300, 9) }]);
    await photosProcessed(t.app);
    const [id] = photoIds((await browser.get('/')).text);
    expect(id).toBeDefined();

    // While storage is down again, the gallery still renders and images answer 503 with a clear message.
    await t.azurite!.pause();
    expect((await browser.get('/')).status).toBe(200);
    const image = await browser.get(`/photos/${id}/preview`);
    expect(image.status).toBe(503);
    expect(image.text).toContain('Photo storage is unavailable right now. Please try again in a moment.');
    await t.azurite!.resume();
    expect((await browser.get(`/photos/${id}/preview`)).status).toBe(200);
  }, 90_000);
});
