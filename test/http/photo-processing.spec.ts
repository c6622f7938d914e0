import { MikroORM } from '@mikro-orm/core';
import { JobWorkers } from '../../src/jobs/job-workers';
import { Photo } from '../../src/photos/photo.entity';
import { GAVE_UP, PhotoProcessing } from '../../src/photos/photo-processing.service';
import { DEFAULT_MAX_ATTEMPTS } from '../../src/jobs/job-handlers';
import { retryDelayMs } from '../../src/jobs/job-workers';
import { Job } from '../../src/jobs/job.entity';
import { StorageUnavailableError } from '../../src/storage/blob-storage.port';
import { BLOB_STORAGE, BlobStorage } from '../../src/storage/blob-storage.port';
import { User } from '../../src/users/user.entity';
import { jpegWithBrokenBody } from '../support/broken-images';
import { loggedInBrowser } from '../support/browser';
import { jpeg } from '../support/images';
import { photosProcessed } from '../support/processing';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';
import { decodeEntities, flashAfter, photoIds, upload } from '../support/uploads';

/** The state each card shows, by photo id. */
function cardStates(html: string): Record<string, string> {
  return Object.fromEntries([...html.matchAll(/data-photo-id="([0-9a-f-]{36})" data-photo-state="(\w+)"/g)].map((m) => [m[1], m[2]]));
}

describe.each(backends())('photo processing [%s]', (backend) => {
  let t: TestApp;
  let storage: BlobStorage;
  let seed = 500;
  const next = () => ++seed;
  const em = () => t.app.get(MikroORM).em.fork();
  const usedBytes = async (username: string) => (await em().findOneOrFail(User, { usernameKey: username })).usedBytes;
  const blobKeys = async (prefix: string) => {
    const keys: string[] = [];
    for await (const blob of storage.list(prefix)) keys.push(blob.key);
    return keys.sort();
  };

  beforeAll(async () => {
    // No workers: each test sees its photos processing until it has them processed (photosProcessed).
    t = await createTestApp(backend, { env: { ROLE: 'web' } });
    storage = t.app.get(BLOB_STORAGE);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('answers once the original is stored: a processing card that polls, then the thumbnail once it is ready', async () => {
    const browser = await loggedInBrowser(t.app, 'patient');
    const data = await jpeg(900, 600, next());
    const res = await upload(browser, [{ name: 'wide.jpg', data }], { htmx: true });
    expect(res.status).toBe(200);
    const [id] = photoIds(res.text);
    expect(cardStates(res.text)).toEqual({ [id]: 'processing' });
    expect(res.text).toContain('width="400" height="267"'); // the placeholder has the header's aspect ratio
    expect(res.text).toMatch(/id="processing-poll"[^>]*hx-get="\/processing-photos\?after=2" hx-trigger="load delay:1s"/);
    const photo = await em().findOneOrFail(Photo, { id });
    expect(photo).toMatchObject({ status: 'processing', width: 900, height: 600 });
    expect(await blobKeys(`${photo.ownerId}/${id}/`)).toEqual([`${photo.ownerId}/${id}/original.jpg`]);
    expect((await browser.get(`/photos/${id}/thumbnail`)).status).toBe(404); // only ready photos are served as images
    expect((await browser.get(`/photos/${id}`)).status).toBe(404);

    // Without JavaScript a reload shows the same; the poller asks again later, twice as late, while it is processing.
    expect(cardStates((await browser.get('/')).text)).toEqual({ [id]: 'processing' });
    const waiting = await browser.get(`/processing-photos?after=8&id=${id}`, { 'HX-Request': 'true' });
    expect(cardStates(waiting.text)).toEqual({});
    expect(waiting.text).toMatch(/hx-get="\/processing-photos\?after=15" hx-trigger="load delay:8s"/);

    await photosProcessed(t.app);
    const done = await browser.get(`/processing-photos?after=2&id=${id}`, { 'HX-Request': 'true' });
    expect(cardStates(done.text)).toEqual({ [id]: 'ready' });
    expect(done.text).toContain(`src="/photos/${id}/thumbnail"`);
    expect(done.text).toMatch(/<div id="processing-poll" hidden>/); // nothing left to ask about: it stops
    expect(cardStates((await browser.get('/')).text)).toEqual({ [id]: 'ready' });
    expect((await browser.get(`/photos/${id}/thumbnail`)).status).toBe(200);
    expect(await blobKeys(`${photo.ownerId}/${id}/`)).toHaveLength(3);
  });

  it("gives the upload panel a processing photo's card with the grid's poller, and a ready one's without", async () => {
    const browser = await loggedInBrowser(t.app, 'panelled');
    await upload(browser, [{ name: 'fresh.jpg', data: await jpeg(300, 200, next()) }]);
    const [id] = photoIds((await browser.get('/')).text);
    const processing = await browser.get(`/photos/${id}/card`, { 'HX-Request': 'true' });
    expect(cardStates(processing.text)).toEqual({ [id]: 'processing' });
    expect(processing.text).toMatch(
      /id="processing-poll"[^>]*hx-get="\/processing-photos\?after=2" hx-trigger="load delay:1s"[^>]*hx-swap-oob="true"/,
    );
    await photosProcessed(t.app);
    const ready = await browser.get(`/photos/${id}/card`, { 'HX-Request': 'true' });
    expect(cardStates(ready.text)).toEqual({ [id]: 'ready' });
    expect(ready.text).not.toContain('processing-poll');
  });

  it('restarts the poller out of band from an older page (infinite scroll) that has processing cards', async () => {
    const browser = await loggedInBrowser(t.app, 'scroller');
    await upload(browser, [{ name: 'old.jpg', data: await jpeg(320, 240, next()) }]);
    const olderPage = '/?before=99999999999999999_00000000-0000-4000-8000-000000000000';
    const [id] = photoIds((await browser.get('/')).text);
    const processing = await browser.get(olderPage, { 'HX-Request': 'true' });
    expect(cardStates(processing.text)).toEqual({ [id]: 'processing' });
    expect(processing.text).toMatch(/<div id="processing-poll" hidden hx-get="\/processing-photos\?after=2"[^>]*hx-swap-oob="true">/);
    expect((await browser.get('/')).text.match(/id="processing-poll"/g)).toHaveLength(1);

    await photosProcessed(t.app);
    const ready = await browser.get(olderPage, { 'HX-Request': 'true' });
    expect(cardStates(ready.text)).toEqual({ [id]: 'ready' });
    expect(ready.text).not.toContain('processing-poll');
  });

  it('marks an image whose pixels cannot be decoded failed, with the reason; its original goes and its bytes come back', async () => {
    const browser = await loggedInBrowser(t.app, 'unlucky');
    const good = await jpeg(300, 200, next());
    await upload(browser, [
      { name: 'good.jpg', data: good },
      { name: 'broken.jpg', data: await jpegWithBrokenBody(next()) },
    ]);
    expect(await flashAfter(browser)).toBe('2 photos uploaded.');
    const broken = await em().findOneOrFail(Photo, { displayName: 'broken.jpg' });
    expect(await usedBytes('unlucky')).toBe(good.length + broken.sizeBytes);

    await photosProcessed(t.app);
    expect(await em().findOneOrFail(Photo, { id: broken.id })).toMatchObject({
      status: 'failed',
      failureReason: 'Could not be read as an image; it may be damaged or incomplete.',
    });
    expect(await blobKeys(`${broken.ownerId}/${broken.id}/`)).toEqual([]);
    expect(await usedBytes('unlucky')).toBe(good.length);
    const gallery = decodeEntities((await browser.get('/')).text);
    expect(cardStates(gallery)[broken.id]).toBe('failed');
    expect(gallery).toContain('Could not be read as an image; it may be damaged or incomplete.');
    expect((await browser.get(`/photos/${broken.id}/original`)).status).toBe(404);

    // Processing it again (a job run twice) changes nothing; deleting it gives nothing back a second time.
    await t.app.get(PhotoProcessing).process(broken.id);
    expect(await usedBytes('unlucky')).toBe(good.length);
    expect((await browser.get(`/photos/${broken.id}/delete`)).text).toContain('Delete broken.jpg?');
    expect((await browser.submit(`/delete-photo/${broken.id}`, {})).status).toBe(303);
    expect(await em().count(Photo, { id: broken.id })).toBe(0);
    expect(await usedBytes('unlucky')).toBe(good.length);
  });

  it('gives the bytes of a failed photo back to a full quota, so the next file fits', async () => {
    const browser = await loggedInBrowser(t.app, 'tight');
    const broken = await jpegWithBrokenBody(next());
    const good = await jpeg(320, 240, next());
    await em().nativeUpdate(User, { usernameKey: 'tight' }, { quotaBytes: Math.max(broken.length, good.length) });
    await upload(browser, [{ name: 'broken.jpg', data: broken }]);
    expect(await flashAfter(browser)).toBe('1 photo uploaded.');
    await upload(browser, [{ name: 'good.jpg', data: good }]);
    expect(await flashAfter(browser)).toMatch(/^No photos uploaded\. 1 skipped: good\.jpg was not stored/);
    await photosProcessed(t.app);
    await upload(browser, [{ name: 'good.jpg', data: good }]);
    expect(await flashAfter(browser)).toBe('1 photo uploaded.');
    expect(await usedBytes('tight')).toBe(good.length);
  });

  it('takes the same bytes in again when their only copy failed: the failed photo is replaced, its bytes not given back twice', async () => {
    const browser = await loggedInBrowser(t.app, 'retrier');
    const broken = await jpegWithBrokenBody(next());
    await upload(browser, [{ name: 'broken.jpg', data: broken }]);
    await photosProcessed(t.app);
    const { id: ownerId } = await em().findOneOrFail(User, { usernameKey: 'retrier' });
    const failed = await em().findOneOrFail(Photo, { ownerId, status: 'failed' });
    expect(await usedBytes('retrier')).toBe(0);

    await upload(browser, [{ name: 'broken again.jpg', data: broken }]);
    expect(await flashAfter(browser)).toBe('1 photo uploaded.');
    expect(await em().count(Photo, { id: failed.id })).toBe(0);
    expect(await em().find(Photo, { ownerId: failed.ownerId })).toMatchObject([{ displayName: 'broken again.jpg', status: 'processing' }]);
    expect(await usedBytes('retrier')).toBe(broken.length);
    await photosProcessed(t.app);
    expect(await usedBytes('retrier')).toBe(0);
  });

  it('refuses the same bytes again while the first copy is still processing', async () => {
    const browser = await loggedInBrowser(t.app, 'twice');
    const data = await jpeg(320, 240, next());
    await upload(browser, [{ name: 'first.jpg', data }]);
    expect(await flashAfter(browser)).toBe('1 photo uploaded.');
    await upload(browser, [{ name: 'again.jpg', data }]);
    expect(await flashAfter(browser)).toBe('No photos uploaded. 1 skipped: again.jpg is already in your library.');
    await photosProcessed(t.app);
    expect(await em().find(Photo, { displayName: { $in: ['first.jpg', 'again.jpg'] } })).toMatchObject([
      { displayName: 'first.jpg', status: 'ready' },
    ]);
  });

  it('deletes a photo still processing: its bytes come back once, and processing it afterwards leaves nothing behind', async () => {
    const browser = await loggedInBrowser(t.app, 'hasty');
    const data = await jpeg(320, 240, next());
    await upload(browser, [{ name: 'soon-gone.jpg', data }]);
    const [id] = photoIds((await browser.get('/')).text);
    const { ownerId } = await em().findOneOrFail(Photo, { id });
    expect(await usedBytes('hasty')).toBe(data.length);
    expect((await browser.submit(`/delete-photo/${id}`, {})).status).toBe(303);
    expect(await usedBytes('hasty')).toBe(0);
    await t.app.get(PhotoProcessing).process(id); // its job, run after the delete
    expect(await blobKeys(`${ownerId}/${id}/`)).toEqual([]);
    expect(await usedBytes('hasty')).toBe(0);
  });

  it('processes a photo again after a crash mid-way: the renditions are overwritten and it ends ready', async () => {
    const browser = await loggedInBrowser(t.app, 'crashy');
    await upload(browser, [{ name: 'again.jpg', data: await jpeg(640, 480, next()) }]);
    const [id] = photoIds((await browser.get('/')).text);
    const photo = await em().findOneOrFail(Photo, { id });
    await t.app.get(PhotoProcessing).process(id);
    // As if the process had died after writing the renditions and before marking the row ready.
    await em().nativeUpdate(Photo, { id }, { status: 'processing' });
    await t.app.get(PhotoProcessing).process(id);
    expect(await em().findOneOrFail(Photo, { id })).toMatchObject({ status: 'ready' });
    expect(await blobKeys(`${photo.ownerId}/${id}/`)).toHaveLength(3);
    expect(await usedBytes('crashy')).toBe(photo.sizeBytes);
  });

  it('marks a photo failed once its job gives up (storage down on every attempt): its bytes come back, its blobs go', async () => {
    const browser = await loggedInBrowser(t.app, 'unreachable');
    const data = await jpeg(320, 240, next());
    await upload(browser, [{ name: 'stuck.jpg', data }]);
    const [id] = photoIds((await browser.get('/')).text);
    const { ownerId } = await em().findOneOrFail(Photo, { id });
    const restarted = await t.restart();
    const restartedStorage = restarted.get<BlobStorage>(BLOB_STORAGE);
    const get = jest.spyOn(restartedStorage, 'get').mockRejectedValue(new StorageUnavailableError('storage is down'));
    const workers = restarted.get(JobWorkers);
    await workers.start();
    await workers.idle();
    for (let attempt = 1; attempt < DEFAULT_MAX_ATTEMPTS; attempt++) {
      expect(await em().findOneOrFail(Photo, { id })).toMatchObject({ status: 'processing' });
      t.clock.advance(retryDelayMs(attempt));
      workers.wake();
      await workers.idle();
    }
    expect(get).toHaveBeenCalled();
    expect(await em().findOneOrFail(Photo, { id })).toMatchObject({ status: 'failed', failureReason: GAVE_UP });
    expect(await em().findOneOrFail(Job, { payload: JSON.stringify({ photoId: id }) })).toMatchObject({ state: 'failed' });
    expect(await usedBytes('unreachable')).toBe(0);
    expect(await blobKeys(`${ownerId}/${id}/`)).toEqual([]);
    const gallery = (await browser.get('/')).text;
    expect(cardStates(gallery)[id]).toBe('failed');
    expect(decodeEntities(gallery)).toContain(GAVE_UP);
    get.mockRestore();
    await workers.stop(0);
  });

  it('runs the processing job of an upload on the workers, also those of an instance that stopped before running it', async () => {
    const browser = await loggedInBrowser(t.app, 'queued');
    await upload(browser, [{ name: 'later.jpg', data: await jpeg(640, 480, next()) }]);
    const [id] = photoIds((await browser.get('/')).text);
    const restarted = await t.restart(); // same database: the job written with the row is still queued
    const workers = restarted.get(JobWorkers);
    await workers.start();
    await workers.idle();
    expect(await em().findOneOrFail(Photo, { id })).toMatchObject({ status: 'ready' });
    expect(cardStates((await browser.get('/')).text)[id]).toBe('ready');
  });
});
