import { MikroORM } from '@mikro-orm/core';
import { connect, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { Readiness } from '../../src/health/readiness';
import { uploadStalled } from '../../src/common/http/multipart-files';
import { Photo } from '../../src/photos/photo.entity';
import { ownUploadsBusy, UPLOAD_RETRY_AFTER_SECONDS, UPLOADS_BUSY } from '../../src/photos/upload-slots.guard';
import { BLOB_STORAGE, BlobStorage } from '../../src/storage/blob-storage.port';
import { User } from '../../src/users/user.entity';
import { spoolDirOf } from '../../src/photos/upload-spool';
import { loggedInBrowser } from '../support/browser';
import { untilFolderHolds } from '../support/folder-watch';
import { jpeg } from '../support/images';
import { slowUpload } from '../support/slow-upload';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';
import { decodeEntities, flashAfter } from '../support/uploads';

/** A raw connection to the app, to behave as no HTTP client library would (stall, go silent). */
function rawConnection(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (chunk) => (data += chunk));
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

describe.each(backends())('operations [%s]', (backend) => {
  describe('health checks', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await createTestApp(backend, { storage: 'azure' });
    });

    afterAll(async () => {
      await t?.azurite?.resume();
      await t?.close();
    });

    it('answers /healthz/live without touching a dependency, and /healthz/ready when database and storage answer', async () => {
      const live = await request(t.app.getHttpServer()).get('/healthz/live');
      expect(live.status).toBe(200);
      expect(live.body).toEqual({ status: 'ok' });
      expect(live.headers['cache-control']).toBe('no-store');
      const ready = await request(t.app.getHttpServer()).get('/healthz/ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ok', db: 'up', storage: 'up' });
    });

    it('is not ready while storage is down, and says so; live stays 200; ready again when storage is back', async () => {
      await t.azurite!.pause();
      const ready = await request(t.app.getHttpServer()).get('/healthz/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: 'error', db: 'up', storage: 'down' });
      expect((await request(t.app.getHttpServer()).get('/healthz/live')).status).toBe(200);
      await t.azurite!.resume();
      expect((await request(t.app.getHttpServer()).get('/healthz/ready')).body).toEqual({ status: 'ok', db: 'up', storage: 'up' });
    });

    it('is not ready while the database is down, and says so', async () => {
      const instance = await t.restart();
      await instance.get(MikroORM).close(true);
      const ready = await request(instance.getHttpServer()).get('/healthz/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: 'error', db: 'down', storage: 'up' });
      expect((await request(instance.getHttpServer()).get('/healthz/live')).status).toBe(200);
    });

    it('is not ready once shutdown has begun, whatever the dependencies say', async () => {
      const instance = await t.restart();
      instance.get(Readiness).beginShutdown();
      const ready = await request(instance.getHttpServer()).get('/healthz/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: 'shutting-down' });
      expect((await request(instance.getHttpServer()).get('/healthz')).body).toEqual({ status: 'ok', db: 'up' });
    });
  });

  describe('upload concurrency limits', () => {
    let t: TestApp;
    let url: string;
    const photo = (seed: number) => jpeg(800, 600, seed).then((data) => ({ name: `p${seed}.jpg`, data }));

    beforeAll(async () => {
      t = await createTestApp(backend, { env: { MAX_CONCURRENT_UPLOADS: '3', MAX_CONCURRENT_UPLOADS_PER_ACCOUNT: '2' } });
      await t.app.listen(0, '127.0.0.1');
      url = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await t?.close();
    });

    it('answers 429 with Retry-After to an account beyond MAX_CONCURRENT_UPLOADS_PER_ACCOUNT, before reading its body; others still upload', async () => {
      const eager = await loggedInBrowser(url, 'eager');
      const held = [slowUpload(url, eager, await photo(1)), slowUpload(url, eager, await photo(2))];
      await untilFolderHolds(spoolDirOf(t.config), 2); // both are past the limits and streaming into their temporary files

      // The account's third upload is refused while its client still holds back almost all of its body.
      const third = await photo(3);
      const refused = slowUpload(url, eager, third);
      const answer = await refused.response;
      expect(answer.status).toBe(429);
      expect(answer.headers['retry-after']).toBe(String(UPLOAD_RETRY_AFTER_SECONDS));
      expect(decodeEntities(answer.body)).toContain(
        'You already have 2 uploads in progress. Please try again when one of them has finished.',
      );
      expect(refused.sent).toBeLessThan(third.data.length);
      // For htmx (the gallery's script retries after Retry-After) the same refusal is a toast.
      const refusedHtmx = slowUpload(url, eager, third, { htmx: true });
      const toast = await refusedHtmx.response;
      expect([toast.status, toast.headers['retry-after'], toast.headers['hx-retarget']]).toEqual([
        429,
        String(UPLOAD_RETRY_AFTER_SECONDS),
        '#toasts',
      ]);
      expect(decodeEntities(toast.body)).toContain(ownUploadsBusy(2));
      refused.abort();
      refusedHtmx.abort();

      // Someone else takes the instance's third slot meanwhile.
      const other = slowUpload(url, await loggedInBrowser(url, 'neighbour'), await photo(4));
      await other.finish();
      expect((await other.response).status).toBe(303);

      // Once one of the account's uploads is done, its next one goes in.
      await Promise.all(held.map((upload) => upload.finish()));
      expect((await Promise.all(held.map((upload) => upload.response))).map((r) => r.status)).toEqual([303, 303]);
      const retried = slowUpload(url, eager, third);
      await retried.finish();
      expect((await retried.response).status).toBe(303);
      expect(await flashAfter(eager)).toBe('1 photo uploaded.');
    });

    it('answers 503 with Retry-After to uploads beyond MAX_CONCURRENT_UPLOADS, before reading their bodies', async () => {
      const [first, second, third] = await Promise.all(['busy1', 'busy2', 'busy3'].map((name) => loggedInBrowser(url, name)));
      const held = [
        slowUpload(url, first, await photo(11)),
        slowUpload(url, first, await photo(12)),
        slowUpload(url, second, await photo(13)),
      ];
      await untilFolderHolds(spoolDirOf(t.config), 3);

      const late = await photo(14);
      const refused = slowUpload(url, third, late);
      const answer = await refused.response;
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBe(String(UPLOAD_RETRY_AFTER_SECONDS));
      expect(decodeEntities(answer.body)).toContain(UPLOADS_BUSY);
      expect(refused.sent).toBeLessThan(late.data.length);
      const refusedHtmx = slowUpload(url, third, late, { htmx: true });
      const toast = await refusedHtmx.response;
      expect([toast.status, toast.headers['retry-after'], toast.headers['hx-retarget']]).toEqual([
        503,
        String(UPLOAD_RETRY_AFTER_SECONDS),
        '#toasts',
      ]);
      expect(decodeEntities(toast.body)).toContain(UPLOADS_BUSY);
      refused.abort();
      refusedHtmx.abort();

      // The uploads in flight are not disturbed, and once they are done a slot is free again.
      await Promise.all(held.map((upload) => upload.finish()));
      expect((await Promise.all(held.map((upload) => upload.response))).map((r) => r.status)).toEqual([303, 303, 303]);
      const retried = slowUpload(url, third, late);
      await retried.finish();
      expect((await retried.response).status).toBe(303);
      expect(await flashAfter(third)).toBe('1 photo uploaded.');
    });
  });

  describe('an upload whose client goes silent', () => {
    let t: TestApp;
    let url: string;

    beforeAll(async () => {
      t = await createTestApp(backend, { env: { UPLOAD_IDLE_SECONDS: '1', MAX_CONCURRENT_UPLOADS_PER_ACCOUNT: '1' } });
      await t.app.listen(0, '127.0.0.1');
      url = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await t?.close();
    });

    it('is ended with 408 after UPLOAD_IDLE_SECONDS without a byte, leaves nothing behind, and frees its slot', async () => {
      const browser = await loggedInBrowser(url, 'silent');
      const photo = { name: 'stalled.jpg', data: await jpeg(1600, 1200, 21) };
      // The headers, the token and the first 16 KB of the photo; then nothing more.
      const stalled = slowUpload(url, browser, photo, { firstBytes: 16 * 1024 });
      const answer = await stalled.response;
      expect(answer.status).toBe(408);
      expect(decodeEntities(answer.body)).toContain(uploadStalled(1000));
      expect(decodeEntities(answer.body)).toContain('The upload stopped: nothing arrived for 1 second. Please try again.');
      stalled.abort();

      await untilFolderHolds(spoolDirOf(t.config), 0); // the stalled upload's temporary file is removed (a leftover hangs the test until it fails)
      const em = t.app.get(MikroORM).em.fork();
      expect(await em.count(Photo, {})).toBe(0);
      expect((await em.findOneOrFail(User, { usernameKey: 'silent' })).usedBytes).toBe(0);
      const blobs: string[] = [];
      for await (const blob of t.app.get<BlobStorage>(BLOB_STORAGE).list('')) blobs.push(blob.key);
      expect(blobs).toEqual([]);

      // Its slot (the account's only one here) is free again: the same photo, sent whole, goes in.
      const again = slowUpload(url, browser, photo);
      await again.finish();
      expect((await again.response).status).toBe(303);
      expect(await flashAfter(browser)).toBe('1 photo uploaded.');
    });
  });

  describe('server timeouts', () => {
    let t: TestApp;
    let port: number;

    beforeAll(async () => {
      t = await createTestApp(backend, {
        env: { HEADERS_TIMEOUT_SECONDS: '1', REQUEST_TIMEOUT_SECONDS: '2', KEEP_ALIVE_TIMEOUT_SECONDS: '1' },
      });
      await t.app.listen(0, '127.0.0.1');
      port = (t.app.getHttpServer().address() as AddressInfo).port;
    });

    afterAll(async () => {
      await t?.close();
    });

    it('cuts off a client that never finishes its headers (408)', async () => {
      const client = await rawConnection(port);
      client.socket.write('GET /healthz/live HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
      await client.closed;
      expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
    });

    it('cuts off a client that never finishes its request body (408)', async () => {
      const client = await rawConnection(port);
      client.socket.write(
        'POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nidentifier=',
      );
      await client.closed;
      expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
    });

    it('closes an idle keep-alive connection', async () => {
      const client = await rawConnection(port);
      client.socket.write('GET /healthz/live HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await client.closed;
      expect(client.received()).toMatch(/^HTTP\/1\.1 200 /);
      expect(client.received()).toMatch(/Keep-Alive: timeout=1/i);
    });
  });
});
