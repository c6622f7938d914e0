import { MikroORM } from '@mikro-orm/core';
import { humanSize } from '../../src/common/views/human-size';
import { CSRF_REFUSED } from '../../src/common/csrf/csrf.guard';
import { NOT_A_SUPPORTED_IMAGE } from '../../src/photos/image-types';
import { Photo } from '../../src/photos/photo.entity';
import { BLOB_STORAGE, BlobStorage, StorageUnavailableError } from '../../src/storage/blob-storage.port';
import { NO_FILE_NAME, PARTIAL_UPLOAD_LIFETIME_MS, PartialUploads } from '../../src/uploads/partial-uploads';
import { UPLOAD_NOT_FOUND } from '../../src/uploads/uploads.controller';
import { User } from '../../src/users/user.entity';
import { Browser, loggedInBrowser, login, STRONG_PASSWORD } from '../support/browser';
import { jpegWithBrokenBody } from '../support/broken-images';
import { jpeg } from '../support/images';
import { photosProcessed } from '../support/processing';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';
import {
  createUpload,
  deleteUpload,
  headUpload,
  metadata,
  partialFileReaches,
  partialsLeft,
  patchUpload,
  startPatch,
  TUS,
} from '../support/tus';
import { asBuffer, flashAfter, sha256, upload } from '../support/uploads';

const MB = 1024 * 1024;

describe.each(backends())('resumable uploads (tus) [%s]', (backend) => {
  let t: TestApp;
  let owner: Browser;
  const em = () => t.app.get(MikroORM).em.fork();
  const setQuota = (username: string, quotaBytes: number | null) => em().nativeUpdate(User, { usernameKey: username }, { quotaBytes });

  /** Creates an upload and returns its Location (`/uploads/<id>`). */
  const created = async (browser: Browser, filename: string, length: number) => {
    const res = await createUpload(browser, { filename, length });
    expect([res.status, res.text]).toEqual([201, '']);
    return res.headers.location as string;
  };

  beforeAll(async () => {
    t = await createTestApp(backend, { env: { MAX_UPLOAD_MB: '6', MAX_CONCURRENT_UPLOADS: '8', MAX_CONCURRENT_UPLOADS_PER_ACCOUNT: '4' } });
    await loggedInBrowser(t.app, 'theadmin');
    owner = await loggedInBrowser(t.app, 'owner');
  });

  afterAll(async () => {
    await t?.close();
  });

  afterEach(async () => {
    // Whatever a test did, no partial upload is left behind: not a row, not a file, not a blob.
    expect(await partialsLeft(t)).toEqual({ rows: 0, stored: [] });
  });

  it('creates an upload, takes it in pieces, tells the offset, and the final PATCH answers Photo-Id for a JPEG', async () => {
    const photo = await jpeg(800, 600, 1);
    const res = await createUpload(owner, { filename: 'beach.jpg', length: photo.length });
    expect(res.status).toBe(201);
    expect(res.headers['tus-resumable']).toBe('1.0.0');
    const location = res.headers.location as string;
    expect(location).toMatch(/^\/uploads\/[0-9a-f]{32}$/);

    const head = await headUpload(owner, location);
    expect(head.status).toBe(200);
    expect(head.headers).toMatchObject({ 'upload-offset': '0', 'upload-length': String(photo.length), 'cache-control': 'no-store' });

    const pieces = [0, 1000, Math.floor(photo.length / 2), photo.length];
    for (let i = 0; i < pieces.length - 2; i++) {
      const piece = await patchUpload(owner, location, pieces[i], photo.subarray(pieces[i], pieces[i + 1]));
      expect(piece.status).toBe(204);
      expect(piece.headers['upload-offset']).toBe(String(pieces[i + 1]));
      expect(piece.headers['photo-id']).toBeUndefined();
      expect((await headUpload(owner, location)).headers['upload-offset']).toBe(String(pieces[i + 1]));
    }
    const last = await patchUpload(owner, location, pieces[2], photo.subarray(pieces[2]));
    expect(last.status).toBe(204);
    expect(last.headers['upload-offset']).toBe(String(photo.length));
    const photoId = last.headers['photo-id'];
    expect(photoId).toMatch(/^[0-9a-f-]{36}$/);
    // The upload answers once the original is stored; the thumbnail and preview are made by the photo's job.
    await photosProcessed(t.app);

    const original = await owner.agent.get(`/photos/${photoId}/original`).buffer(true).parse(asBuffer);
    expect(original.status).toBe(200);
    expect(sha256(original.body as Buffer)).toBe(sha256(photo));
    expect(await em().findOneOrFail(Photo, { id: photoId })).toMatchObject({ displayName: 'beach.jpg', sizeBytes: photo.length });
    expect((await headUpload(owner, location)).status).toBe(404);
  });

  it('resumes after a cut: the bytes that arrived are kept, HEAD tells where to go on, and the file is whole', async () => {
    const photo = await jpeg(900, 700, 2);
    const location = await created(owner, 'cut.jpg', photo.length);
    const sent = Math.floor(photo.length / 2);
    // On local disk the bytes are written as they arrive: cut once they are there. AzureStore appends a PATCH's bytes
    // when its body ends, the cut included, so there HEAD may tell any offset up to what was sent.
    const local = t.config.storage.driver === 'local';
    const patch = await startPatch(t, owner, location, 0, photo, sent);
    if (local) await partialFileReaches(t, location, sent);
    await patch.cut();
    const head = await headUpload(owner, location);
    expect(head.status).toBe(200);
    if (local) expect(head.headers['upload-offset']).toBe(String(sent));
    else expect(Number(head.headers['upload-offset'])).toBeLessThanOrEqual(sent);
    // As tus-js-client does: a 409 means the cut PATCH stored its last bytes after HEAD answered; ask again, go on.
    let rest;
    do {
      const offset = Number((await headUpload(owner, location)).headers['upload-offset']);
      rest = await patchUpload(owner, location, offset, photo.subarray(offset));
    } while (rest.status === 409);
    expect(rest.status).toBe(204);
    const photoId = rest.headers['photo-id'];
    expect((await em().findOneOrFail(Photo, { id: photoId })).sha256).toBe(sha256(photo));
  });

  it('stores a PATCH larger than one 4 MiB append block whole', async () => {
    const bytes = Buffer.alloc(5 * MB, 7);
    const location = await created(owner, 'big.bin', bytes.length + 1);
    expect((await patchUpload(owner, location, 0, bytes)).headers['upload-offset']).toBe(String(bytes.length));
    expect((await headUpload(owner, location)).headers['upload-offset']).toBe(String(bytes.length));
    expect((await deleteUpload(owner, location)).status).toBe(204);
  });

  it('answers 409 to a PATCH at the wrong offset, without changing the upload', async () => {
    const photo = await jpeg(320, 240, 3);
    const location = await created(owner, 'offset.jpg', photo.length);
    const wrong = await patchUpload(owner, location, 10, photo.subarray(10));
    expect(wrong.status).toBe(409);
    expect((await headUpload(owner, location)).headers['upload-offset']).toBe('0');
    expect((await deleteUpload(owner, location)).status).toBe(204);
  });

  it('refuses a declared size over MAX_UPLOAD_MB with 413 and the form’s wording, before any byte', async () => {
    const res = await createUpload(owner, { filename: 'huge.jpg', length: 6 * MB + 1 });
    expect(res.status).toBe(413);
    expect(res.headers['tus-resumable']).toBe('1.0.0');
    expect(res.text).toBe('huge.jpg is larger than 6 MB.\n');
  });

  it('refuses with 413 and the quota wording what does not fit beside the photos and the other unfinished uploads', async () => {
    const browser = await loggedInBrowser(t.app, 'quotaed');
    const photo = await jpeg(400, 300, 4);
    await setQuota('quotaed', photo.length + 1000 * 1000);
    const first = await created(browser, 'first.jpg', 600 * 1000);
    const refused = await createUpload(browser, { filename: 'second.jpg', length: 500 * 1000 });
    expect(refused.status).toBe(413);
    expect(refused.text).toBe(
      `second.jpg was not stored: it is ${humanSize(500 * 1000)} and only ${humanSize(photo.length + 400 * 1000)} of your ${humanSize(photo.length + 1000 * 1000)} is free.\n`,
    );
    // Once the first is cancelled, its bytes are free again.
    expect((await deleteUpload(browser, first)).status).toBe(204);
    const fits = await created(browser, 'second.jpg', 500 * 1000);
    expect((await deleteUpload(browser, fits)).status).toBe(204);

    await setQuota('quotaed', 0);
    const full = await createUpload(browser, { filename: 'full.jpg', length: 10 });
    expect(full.status).toBe(413);
    expect(full.text).toBe('full.jpg was not stored. Your storage is full (0 B of 0 B used).\n');
  });

  it('refuses with 400 an upload without a file name, or without Upload-Length', async () => {
    for (const filename of [undefined, '', '   ']) {
      const res = await createUpload(owner, { filename, length: 100 });
      expect({ filename, status: res.status, text: res.text }).toEqual({ filename, status: 400, text: `${NO_FILE_NAME}\n` });
    }
    const deferred = await owner.agent
      .post('/uploads')
      .set({ ...TUS, 'Upload-Defer-Length': '1', 'Upload-Metadata': metadata({ filename: 'x.jpg' }), 'X-CSRF-Token': owner.csrfToken! });
    expect(deferred.status).toBe(400);
  });

  it('answers 401 with a short body, never a redirect, to every tus request without a login', async () => {
    const location = await created(owner, 'mine.jpg', 100);
    const visitor = new Browser(t.app);
    await visitor.get('/login'); // a visitor's CSRF token, so only the login is missing
    const answers = {
      POST: await visitor.agent.post('/uploads').set({ ...TUS, 'Upload-Length': '100', 'X-CSRF-Token': visitor.csrfToken! }),
      OPTIONS: await visitor.agent.options('/uploads').set(TUS),
      HEAD: await visitor.agent.head(location).set(TUS),
      PATCH: await visitor.agent
        .patch(location)
        .set({ ...TUS, 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': '0', 'X-CSRF-Token': visitor.csrfToken! })
        .send(Buffer.alloc(100)),
      DELETE: await visitor.agent.delete(location).set({ ...TUS, 'X-CSRF-Token': visitor.csrfToken! }),
    };
    for (const [method, res] of Object.entries(answers)) {
      expect({ method, status: res.status, location: res.headers.location }).toEqual({ method, status: 401, location: undefined });
      if (method !== 'HEAD') expect(res.text).toBe('Please log in to continue.\n');
    }
    expect((await headUpload(owner, location)).headers['upload-offset']).toBe('0');
    expect((await deleteUpload(owner, location)).status).toBe(204);
  });

  it('answers 403 to POST, PATCH and DELETE without the CSRF token, with another session’s, or from another site', async () => {
    const other = await loggedInBrowser(t.app, 'othercsrf');
    const location = await created(owner, 'guarded.jpg', 100);
    for (const csrf of [undefined, other.csrfToken]) {
      const answers = [
        await createUpload(owner, { filename: 'a.jpg', length: 100 }, csrf ?? ''),
        await patchUpload(owner, location, 0, Buffer.alloc(100), csrf ?? ''),
        await deleteUpload(owner, location, csrf ?? ''),
      ];
      expect(answers.map((res) => [res.status, res.text])).toEqual(Array(3).fill([403, `${CSRF_REFUSED}\n`]));
    }
    const crossSite = await owner.agent
      .post('/uploads')
      .set({ ...TUS, 'Upload-Length': '100', 'Upload-Metadata': metadata({ filename: 'a.jpg' }), 'X-CSRF-Token': owner.csrfToken! })
      .set('Origin', 'https://evil.example');
    expect(crossSite.status).toBe(403);
    expect((await headUpload(owner, location)).headers['upload-offset']).toBe('0');
    expect((await partialsLeft(t)).rows).toBe(1);
    expect((await deleteUpload(owner, location)).status).toBe(204);
  });

  it('answers 404 to another user’s HEAD, PATCH and DELETE, and leaves the upload as it was', async () => {
    const stranger = await loggedInBrowser(t.app, 'stranger');
    const photo = await jpeg(320, 240, 5);
    const location = await created(owner, 'private.jpg', photo.length);
    expect((await patchUpload(owner, location, 0, photo.subarray(0, 500))).status).toBe(204);
    const answers = [
      await headUpload(stranger, location),
      await patchUpload(stranger, location, 500, photo.subarray(500)),
      await deleteUpload(stranger, location),
      await headUpload(stranger, '/uploads/0123456789abcdef0123456789abcdef'),
    ];
    expect(answers.map((res) => res.status)).toEqual([404, 404, 404, 404]);
    expect(answers[1].text).toBe(`${UPLOAD_NOT_FOUND}\n`);
    expect((await headUpload(owner, location)).headers['upload-offset']).toBe('500');
    expect((await deleteUpload(owner, location)).status).toBe(204);
  });

  it('DELETE cancels: the partial is removed and the upload is gone', async () => {
    const photo = await jpeg(320, 240, 6);
    const location = await created(owner, 'cancel.jpg', photo.length);
    expect((await patchUpload(owner, location, 0, photo.subarray(0, 2000))).status).toBe(204);
    expect((await partialsLeft(t)).rows).toBe(1);
    const res = await deleteUpload(owner, location);
    expect(res.status).toBe(204);
    expect(res.headers['tus-resumable']).toBe('1.0.0');
    expect((await headUpload(owner, location)).status).toBe(404);
    expect((await deleteUpload(owner, location)).status).toBe(404);
  });

  it('expires an unfinished upload after 24 h: gone for its owner, counted against nothing, removed by removeExpired()', async () => {
    let browser = await loggedInBrowser(t.app, 'expiring');
    await setQuota('expiring', 1000 * 1000);
    const location = await created(browser, 'old.jpg', 900 * 1000);
    expect((await patchUpload(browser, location, 0, Buffer.alloc(1000))).status).toBe(204);
    expect((await createUpload(browser, { filename: 'new.jpg', length: 200 * 1000 })).status).toBe(413);
    const partials = t.app.get(PartialUploads);
    // A day later every session has ended too: log in again.
    const loggedInAgain = async (username: string) => {
      const again = new Browser(t.app);
      expect((await login(again, username)).status).toBe(303);
      await again.get('/');
      return again;
    };

    t.clock.advance(PARTIAL_UPLOAD_LIFETIME_MS - 1);
    expect(await partials.removeExpired()).toBe(0);
    browser = await loggedInAgain('expiring');
    expect((await headUpload(browser, location)).headers['upload-offset']).toBe('1000');

    t.clock.advance(1);
    expect((await headUpload(browser, location)).status).toBe(404);
    expect((await patchUpload(browser, location, 1000, Buffer.alloc(1000))).status).toBe(404);
    const fresh = await created(browser, 'new.jpg', 200 * 1000); // the expired one counts against nothing
    expect(await partials.removeExpired()).toBe(1);
    expect(await partialsLeft(t)).toEqual({ rows: 1, stored: expect.arrayContaining([fresh.split('/').pop()]) });
    expect((await deleteUpload(browser, fresh)).status).toBe(204);
    owner = await loggedInAgain('owner');
  });

  it('answers Upload-Refused on the final PATCH for a text file and for a duplicate, and stores nothing', async () => {
    const text = Buffer.from('just some notes, not a photo');
    const notes = await created(owner, 'notes.txt', text.length);
    const refused = await patchUpload(owner, notes, 0, text);
    expect(refused.status).toBe(204);
    expect(refused.headers['upload-offset']).toBe(String(text.length));
    expect(refused.headers['upload-refused']).toBe(`notes.txt ${NOT_A_SUPPORTED_IMAGE}`);
    expect(refused.headers['photo-id']).toBeUndefined();

    const photo = await jpeg(320, 240, 7);
    const first = await created(owner, 'first.jpg', photo.length);
    expect((await patchUpload(owner, first, 0, photo)).headers['photo-id']).toBeDefined();
    const again = await created(owner, 'café again.jpg', photo.length);
    const duplicate = await patchUpload(owner, again, 0, photo);
    expect(duplicate.status).toBe(204);
    expect(duplicate.headers['upload-refused']).toBe('caf%C3%A9 again.jpg is already in your library.');
    expect(decodeURIComponent(duplicate.headers['upload-refused'])).toBe('café again.jpg is already in your library.');
    const ownerId = (await em().findOneOrFail(User, { usernameKey: 'owner' })).id;
    expect(await em().count(Photo, { ownerId, sha256: sha256(photo) })).toBe(1);
  });

  it('takes the same bytes in again when their only copy failed: the failed photo is replaced, its bytes not given back twice', async () => {
    const broken = await jpegWithBrokenBody(11);
    const first = await created(owner, 'damaged.jpg', broken.length);
    const failedId = (await patchUpload(owner, first, 0, broken)).headers['photo-id'];
    await photosProcessed(t.app);
    expect(await em().findOneOrFail(Photo, { id: failedId })).toMatchObject({ status: 'failed' });
    const usedBefore = (await em().findOneOrFail(User, { usernameKey: 'owner' })).usedBytes;

    const again = await created(owner, 'damaged again.jpg', broken.length);
    const retried = await patchUpload(owner, again, 0, broken);
    expect(retried.headers['upload-refused']).toBeUndefined();
    expect(retried.headers['photo-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(await em().count(Photo, { id: failedId })).toBe(0);
    expect((await em().findOneOrFail(User, { usernameKey: 'owner' })).usedBytes).toBe(usedBefore + broken.length);
    await photosProcessed(t.app);
    expect((await em().findOneOrFail(User, { usernameKey: 'owner' })).usedBytes).toBe(usedBefore);
  });

  it('answers 503 when photo storage is down and keeps the partial; a PATCH of no bytes at the end finishes it', async () => {
    const photo = await jpeg(320, 240, 9);
    const location = await created(owner, 'later.jpg', photo.length);
    const put = jest.spyOn(t.app.get<BlobStorage>(BLOB_STORAGE), 'putFile').mockRejectedValueOnce(new StorageUnavailableError());
    try {
      const down = await patchUpload(owner, location, 0, photo);
      expect(down.status).toBe(503);
      expect(down.text).toBe('later.jpg was not stored: photo storage is unavailable. Please try again in a moment.\n');
    } finally {
      put.mockRestore();
    }
    const head = await headUpload(owner, location);
    expect(head.headers).toMatchObject({ 'upload-offset': String(photo.length), 'upload-length': String(photo.length) });
    const retried = await patchUpload(owner, location, photo.length, Buffer.alloc(0));
    expect(retried.status).toBe(204);
    expect(retried.headers['photo-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('counts a PATCH that is sending as an upload in flight: beyond MAX_CONCURRENT_UPLOADS_PER_ACCOUNT it is 429 before any byte', async () => {
    const photo = await jpeg(640, 480, 10);
    const locations = await Promise.all([0, 1, 2, 3, 4].map((i) => created(owner, `slot-${i}.jpg`, photo.length)));
    // Five start sending at once: whichever comes fifth is answered at once, before its body, while the others wait.
    const patches = await Promise.all(locations.map((location) => startPatch(t, owner, location, 0, photo, 100)));
    expect(await Promise.race(patches.map((patch) => patch.answered))).toBe(429);
    for (const patch of patches) await patch.cut();
    for (const location of locations) expect((await deleteUpload(owner, location)).status).toBe(204);
  });

  it('cuts a PATCH that sends nothing for UPLOAD_IDLE_SECONDS, freeing its slot; the bytes that arrived are kept', async () => {
    const idle = await createTestApp(backend, { env: { UPLOAD_IDLE_SECONDS: '1', MAX_CONCURRENT_UPLOADS_PER_ACCOUNT: '1' } });
    try {
      const browser = await loggedInBrowser(idle.app, 'stalling');
      const photo = await jpeg(320, 240, 11);
      const location = await created(browser, 'stalled.jpg', photo.length);
      const stalled = await startPatch(idle, browser, location, 0, photo, 100);
      await stalled.closed; // the server let go: nothing came for a second
      // The cut PATCH lets go of the upload as it stops, and stores the bytes it holds just after (Azure: its last block).
      while ((await headUpload(browser, location)).headers['upload-offset'] !== '100') await new Promise(setImmediate);
      const rest = await patchUpload(browser, location, 100, photo.subarray(100)); // the slot is free again
      expect(rest.status).toBe(204);
      expect(rest.headers['photo-id']).toBeDefined();
      expect(await partialsLeft(idle)).toEqual({ rows: 0, stored: [] });
    } finally {
      await idle.close();
    }
  });

  it('removes the unfinished uploads of an account that is deleted', async () => {
    const leaving = await loggedInBrowser(t.app, 'leaving');
    const location = await created(leaving, 'unfinished.jpg', 5000);
    expect((await patchUpload(leaving, location, 0, Buffer.alloc(1000))).status).toBe(204);
    const deleted = await leaving.submit('/account/delete', { currentPassword: STRONG_PASSWORD }, { from: '/account' });
    expect(deleted.status).toBe(303);
  });

  it('keeps the multipart form as it was', async () => {
    await upload(owner, [{ name: 'form.jpg', data: await jpeg(320, 240, 8) }]);
    expect(await flashAfter(owner)).toBe('1 photo uploaded.');
  });
});
