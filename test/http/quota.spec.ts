import { MikroORM } from '@mikro-orm/core';
import { Photo } from '../../src/photos/photo.entity';
import { humanSize } from '../../src/common/views/human-size';
import { BLOB_STORAGE, BlobStorage } from '../../src/storage/blob-storage.port';
import { User } from '../../src/users/user.entity';
import { Browser, loggedInBrowser } from '../support/browser';
import { jpeg } from '../support/images';
import { photosProcessed } from '../support/processing';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';
import { decodeEntities, flashAfter, photoIds, upload } from '../support/uploads';

const MB = 1024 * 1024;

describe.each(backends())('storage quotas [%s]', (backend) => {
  let t: TestApp;
  const em = () => t.app.get(MikroORM).em.fork();
  const account = (username: string) => em().findOneOrFail(User, { usernameKey: username });
  const setQuota = (username: string, quotaBytes: number | null) => em().nativeUpdate(User, { usernameKey: username }, { quotaBytes });
  const blobCount = async (prefix: string) => {
    let count = 0;
    for await (const _ of t.app.get<BlobStorage>(BLOB_STORAGE).list(prefix)) count++;
    return count;
  };

  beforeAll(async () => {
    // Ten uploads race for the last slot: the upload concurrency limits (4, and 2 per account, by default) must not turn
    // some away first.
    t = await createTestApp(backend, {
      env: { DEFAULT_QUOTA_MB: '3', MAX_CONCURRENT_UPLOADS: '16', MAX_CONCURRENT_UPLOADS_PER_ACCOUNT: '16' },
    });
    await loggedInBrowser(t.app, 'theadmin');
  });

  afterAll(async () => {
    await t?.close();
  });

  it('gives new accounts the DEFAULT_QUOTA_MB quota and shows storage used against it in the gallery', async () => {
    const browser = await loggedInBrowser(t.app, 'newcomer');
    expect(await account('newcomer')).toMatchObject({ quotaBytes: 3 * MB, usedBytes: 0 });
    expect(decodeEntities((await browser.get('/')).text)).toContain('Storage: 0 B of 3.0 MB used');
    const photo = await jpeg(320, 240, 1);
    await upload(browser, [{ name: 'one.jpg', data: photo }]);
    expect((await account('newcomer')).usedBytes).toBe(photo.length);
    expect(decodeEntities((await browser.get('/')).text)).toMatch(/Storage: [\d.]+ KB of 3\.0 MB used/);
  });

  it('stores exactly one of ten parallel uploads when one slot is left; the other nine are refused and leave nothing', async () => {
    const browser = await loggedInBrowser(t.app, 'racer');
    const files = await Promise.all(Array.from({ length: 10 }, (_, i) => jpeg(400, 300, 100 + i)));
    const sizes = files.map((file) => file.length);
    expect(Math.min(...sizes) * 2).toBeGreaterThan(Math.max(...sizes)); // so two can never fit in one slot
    const first = await jpeg(400, 300, 99);
    await upload(browser, [{ name: 'first.jpg', data: first }]);
    await setQuota('racer', first.length + Math.max(...sizes));

    const responses = await Promise.all(files.map((data, i) => upload(browser, [{ name: `race-${i}.jpg`, data }], { htmx: true })));
    expect(responses.map((res) => res.status).sort()).toEqual([200, ...Array(9).fill(422)]);
    // Each refusal says how large the file is and how much was left beside the winner (or that nothing was).
    const winner = responses.findIndex((res) => res.status === 200);
    const quota = humanSize(first.length + Math.max(...sizes));
    const free = Math.max(...sizes) - sizes[winner];
    responses.forEach((res, i) => {
      if (i === winner) return;
      const reason =
        free === 0
          ? `Your storage is full (${quota} of ${quota} used).`
          : `it is ${humanSize(sizes[i])} and only ${humanSize(free)} of your ${quota} is free.`;
      expect(decodeEntities(res.text)).toContain(
        `No photos uploaded. 1 skipped: race-${i}.jpg was not stored${free === 0 ? '. ' : ': '}${reason}`,
      );
    });

    await photosProcessed(t.app);
    const user = await account('racer');
    const photos = await em().find(Photo, { ownerId: user.id });
    expect(photos).toHaveLength(2);
    expect(photos.every((photo) => photo.status === 'ready')).toBe(true);
    expect(user.usedBytes).toBe(photos.reduce((sum, photo) => sum + photo.sizeBytes, 0));
    expect(user.usedBytes).toBeLessThanOrEqual(user.quotaBytes!);
    expect(await blobCount(`${user.id}/`)).toBe(6);
  });

  it('tells how large a file that does not fit is and how much is free, says "full" only when it is, and frees the bytes of a deleted photo', async () => {
    const browser = await loggedInBrowser(t.app, 'filler');
    const photo = await jpeg(400, 300, 200);
    const other = await jpeg(400, 300, 201);
    await setQuota('filler', photo.length + 1000);
    await upload(browser, [{ name: 'fits.jpg', data: photo }]);
    expect(await flashAfter(browser)).toBe('1 photo uploaded.');
    await upload(browser, [{ name: 'toomuch.jpg', data: other }]);
    const quota = humanSize(photo.length + 1000);
    expect(await flashAfter(browser)).toBe(
      `No photos uploaded. 1 skipped: toomuch.jpg was not stored: it is ${humanSize(other.length)} and only 1000 B of your ${quota} is free.`,
    );

    await setQuota('filler', photo.length);
    await upload(browser, [{ name: 'toomuch.jpg', data: other }]);
    const kb = humanSize(photo.length);
    expect(await flashAfter(browser)).toBe(
      `No photos uploaded. 1 skipped: toomuch.jpg was not stored. Your storage is full (${kb} of ${kb} used).`,
    );

    const [id] = photoIds((await browser.get('/')).text);
    const deleted = await browser.agent.post(`/delete-photo/${id}`).set({ 'HX-Request': 'true', 'X-CSRF-Token': browser.csrfToken! });
    expect(deleted.status).toBe(200);
    expect(decodeEntities(deleted.text)).toContain(`Storage: 0 B of ${kb} used`);
    expect((await account('filler')).usedBytes).toBe(0);
    await upload(browser, [{ name: 'toomuch.jpg', data: other }]);
    expect(await flashAfter(browser)).toBe('1 photo uploaded.');
  });

  it('gives back the bytes of a refused file (duplicate, not an image) and keeps no limit when there is none', async () => {
    const browser: Browser = await loggedInBrowser(t.app, 'roomy');
    await setQuota('roomy', null);
    const photo = await jpeg(320, 240, 300);
    await upload(browser, [
      { name: 'a.jpg', data: photo },
      { name: 'again.jpg', data: photo },
      { name: 'notes.png', data: Buffer.from('just text') },
    ]);
    expect((await account('roomy')).usedBytes).toBe(photo.length);
    expect(decodeEntities((await browser.get('/')).text)).toMatch(/Storage: [\d.]+ KB used \(no limit\)/);
  });
});
