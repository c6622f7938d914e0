import { MikroORM } from '@mikro-orm/core';
import { connect, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { Readiness } from '../../src/health/readiness';
import { UPLOAD_RETRY_AFTER_SECONDS, UPLOADS_BUSY } from '../../src/photos/upload-slots.guard';
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

  describe('upload concurrency limit', () => {
    let t: TestApp;
    let url: string;

    beforeAll(async () => {
      t = await createTestApp(backend, { env: { MAX_CONCURRENT_UPLOADS: '2' } });
      await t.app.listen(0, '127.0.0.1');
      url = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await t?.close();
    });

    it('answers 503 with Retry-After to uploads beyond MAX_CONCURRENT_UPLOADS, before reading their bodies', async () => {
      const browser = await loggedInBrowser(url, 'busy');
      const photos = await Promise.all([1, 2, 3, 4].map(async (seed) => ({ name: `p${seed}.jpg`, data: await jpeg(800, 600, seed) })));
      const held = [slowUpload(url, browser, photos[0]), slowUpload(url, browser, photos[1])];
      await untilFolderHolds(spoolDirOf(t.config), 2); // both are past the limit and streaming into their temporary files

      // The third upload is refused while its client still holds back almost all of its body: nothing was spooled.
      const refused = slowUpload(url, browser, photos[2]);
      const answer = await refused.response;
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBe(String(UPLOAD_RETRY_AFTER_SECONDS));
      expect(decodeEntities(answer.body)).toContain(UPLOADS_BUSY);
      expect(refused.sent).toBeLessThan(photos[2].data.length);

      // For htmx (the gallery's JavaScript form) the same refusal is a toast.
      const refusedHtmx = slowUpload(url, browser, photos[3], { htmx: true });
      const toast = await refusedHtmx.response;
      expect(toast.status).toBe(503);
      expect(toast.headers['retry-after']).toBe(String(UPLOAD_RETRY_AFTER_SECONDS));
      expect(toast.headers['hx-retarget']).toBe('#toasts');
      expect(decodeEntities(toast.body)).toContain(UPLOADS_BUSY);
      refused.abort();
      refusedHtmx.abort();

      // The uploads in flight are not disturbed, and once they are done a slot is free again.
      await Promise.all(held.map((upload) => upload.finish()));
      expect((await Promise.all(held.map((upload) => upload.response))).map((r) => r.status)).toEqual([303, 303]);
      const retried = slowUpload(url, browser, photos[2]);
      await retried.finish();
      expect((await retried.response).status).toBe(303);
      expect(await flashAfter(browser)).toBe('1 photo uploaded.');
    });
  });

  describe('server timeouts', () => {
    let t: TestApp;
    let port: number;

    beforeAll(async () => {
      t = await createTestApp(backend, { env: { HEADERS_TIMEOUT_SECONDS: '1', REQUEST_TIMEOUT_SECONDS: '2', KEEP_ALIVE_TIMEOUT_SECONDS: '1' } });
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
      client.socket.write('POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nidentifier=');
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
