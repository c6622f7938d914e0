import { MikroORM } from '@mikro-orm/core';
import { existsSync, readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { APP_CONFIG } from '../../src/config/config.module';
import { Photo } from '../../src/photos/photo.entity';
import { spoolDirOf } from '../../src/photos/upload-spool';
import { BLOB_STORAGE, BlobStorage } from '../../src/storage/blob-storage.port';
import { User } from '../../src/users/user.entity';
import { Browser, login, loggedInBrowser, STRONG_PASSWORD } from '../support/browser';
import { untilFolderHolds } from '../support/folder-watch';
import { jpeg } from '../support/images';
import { PrivateMariaDb, startPrivateMariaDb } from '../support/private-mariadb';
import { photosProcessed } from '../support/processing';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';
import { decodeEntities, photoIds, upload } from '../support/uploads';

const MB = 1024 * 1024;
const STORAGE_DOWN = 'big.jpg was not stored: photo storage is unavailable. Please try again in a moment.';
const DATABASE_DOWN = 'Photosphere cannot reach its database right now. Please try again in a moment.';

/** A real JPEG padded to `size` bytes (bytes after the image's end are ignored by decoders). */
async function bigJpeg(size: number, seed: number): Promise<Buffer> {
  const image = await jpeg(1200, 900, seed);
  return Buffer.concat([image, Buffer.alloc(size - image.length, seed)]);
}

// Outages need MySQL and Azurite: they run with the MySQL backend (in CI always; backends() fails CI without it).
const withMysql = backends().includes('mysql') ? describe : describe.skip;

withMysql('outages [mysql] (with Azurite)', () => {
  describe('photo storage (Azurite) and clients going away', () => {
    let t: TestApp;
    let storage: BlobStorage;
    let browser: Browser;
    let ownerId: string;

    const em = () => t.app.get(MikroORM).em.fork();
    const blobsOf = async (prefix: string) => {
      const keys: string[] = [];
      for await (const blob of storage.list(prefix)) keys.push(blob.key);
      return keys;
    };
    const spoolDir = () => spoolDirOf(t.app.get(APP_CONFIG));
    const spooled = () => (existsSync(spoolDir()) ? readdirSync(spoolDir()) : []);
    const leftovers = async () => ({ rows: await em().count(Photo, { ownerId }), blobs: await blobsOf(`${ownerId}/`), spooled: spooled() });
    /** Resolves when the app starts storing its next original: its row has been written (pending) just before. */
    const storing = () =>
      new Promise<void>((resolve) => {
        const spy = jest.spyOn(storage, 'putFile').mockImplementationOnce((...args) => {
          spy.mockRestore();
          resolve();
          return storage.putFile(...args);
        });
      });

    beforeAll(async () => {
      t = await createTestApp('mysql');
      storage = t.app.get(BLOB_STORAGE);
      browser = await loggedInBrowser(t.app, 'outage');
      ownerId = (await em().findOneOrFail(User, { usernameKey: 'outage' })).id;
    });

    afterAll(async () => {
      await t?.azurite?.resume();
      await t?.close();
    });

    it('Azurite stopped in the middle of a 20 MB upload: a clear error within 35 s, nothing stored, uploads work again once it is back', async () => {
      const big = await bigJpeg(20 * MB, 1);
      const stored = storing();
      const response = upload(browser, [{ name: 'big.jpg', data: big }], { htmx: true }).then((res) => res);
      // The row is written (pending) just before the original starts streaming to storage: stop Azurite then.
      await stored;
      expect(await em().count(Photo, { ownerId })).toBe(1);
      await t.azurite!.pause();
      const stoppedAt = Date.now();
      const res = await response;
      const answeredIn = Date.now() - stoppedAt;
      expect(res.status).toBe(503);
      expect(decodeEntities(res.text)).toContain(STORAGE_DOWN);
      expect(answeredIn).toBeLessThan(35_000);
      expect({ rows: await em().count(Photo, { ownerId }), spooled: spooled() }).toEqual({ rows: 0, spooled: [] });

      await t.azurite!.resume();
      expect(await blobsOf(`${ownerId}/`)).toEqual([]);
      // Same app, no restart: the next upload goes through.
      const again = await upload(browser, [{ name: 'after.jpg', data: await jpeg(640, 480, 2) }], { htmx: true });
      await photosProcessed(t.app);
      expect(again.status).toBe(200);
      const [id] = photoIds(again.text);
      expect((await blobsOf(`${ownerId}/${id}/`)).sort()).toEqual([
        `${ownerId}/${id}/original.jpg`,
        `${ownerId}/${id}/preview.webp`,
        `${ownerId}/${id}/thumb.webp`,
      ]);
      await browser.agent.post(`/delete-photo/${id}`).set('X-CSRF-Token', browser.csrfToken!).redirects(0);
    }, 90_000);

    /** Sends the start of a multipart upload by hand and lets the test cut the connection when it likes. */
    async function rawUpload(data: Buffer, sendBytes: number) {
      const server = t.app.getHttpServer();
      if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const boundary = 'disconnecting';
      const head = Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="photos"; filename="gone.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
      );
      const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
      const req = httpRequest({
        host: '127.0.0.1',
        port: (server.address() as AddressInfo).port,
        method: 'POST',
        path: '/upload-photos',
        headers: {
          Cookie: browser.sessionCookie()!,
          'X-CSRF-Token': browser.csrfToken!,
          'HX-Request': 'true',
          'X-Forwarded-For': browser.ip,
          'Content-Type': `multipart/form-data; boundary=${boundary}`,
          'Content-Length': head.length + data.length + tail.length,
        },
      });
      req.on('error', () => undefined); // the test destroys it
      req.write(head);
      req.write(data.subarray(0, sendBytes));
      if (sendBytes >= data.length) req.end(tail);
      return req;
    }

    it('a client that disconnects while sending leaves no row, no blob and no temporary file', async () => {
      const big = await bigJpeg(20 * MB, 3);
      const req = await rawUpload(big, 8 * MB);
      await untilFolderHolds(spoolDir(), 1);
      req.destroy();
      await untilFolderHolds(spoolDir(), 0); // the app's last step with a file, after any row and blob are gone
      expect(await leftovers()).toEqual({ rows: 0, blobs: [], spooled: [] });
    });

    it('a client that disconnects while the photo is being stored leaves no row, no blob and no temporary file', async () => {
      const big = await bigJpeg(20 * MB, 4);
      const stored = storing();
      const req = await rawUpload(big, big.length);
      await stored;
      req.destroy();
      await untilFolderHolds(spoolDir(), 0); // the app's last step with a file, after any row and blob are gone
      expect(await leftovers()).toEqual({ rows: 0, blobs: [], spooled: [] });
      // And the app carries on.
      expect((await upload(browser, [{ name: 'next.jpg', data: await jpeg(320, 240, 5) }], { htmx: true })).status).toBe(200);
    });
  });

  describe('the database (a private MariaDB) stopped for 30 s', () => {
    let mariadb: PrivateMariaDb;
    let t: TestApp;

    beforeAll(async () => {
      mariadb = await startPrivateMariaDb();
      t = await createTestApp('mysql', { databaseServer: mariadb.url });
    }, 60_000);

    afterAll(async () => {
      await mariadb?.start();
      await t?.close();
      await mariadb?.destroy();
    });

    it('/healthz says 503 within 2 s, pages show a friendly 503, and everything recovers by itself', async () => {
      const health = () => request(t.app.getHttpServer()).get('/healthz');
      const browser = await loggedInBrowser(t.app, 'patient');
      expect((await health()).status).toBe(200);

      await mariadb.stop();
      const stoppedAt = Date.now();
      const answers: Array<{ what: string; status: number; ms: number; friendly: boolean }> = [];
      const timed = async (what: string, send: () => Promise<request.Response>, friendly: (res: request.Response) => boolean) => {
        const started = Date.now();
        const res = await send();
        answers.push({ what, status: res.status, ms: Date.now() - started, friendly: friendly(res) });
      };
      const friendlyPage = (res: request.Response) =>
        decodeEntities(res.text).includes(DATABASE_DOWN) && !/Error:|at .*\.(js|ts):\d+|ECONNREFUSED|select /i.test(res.text);
      while (Date.now() - stoppedAt < 30_000) {
        await timed(
          'GET /healthz',
          () => health(),
          (res) => res.body.status === 'error' && res.body.db === 'down',
        );
        await timed('GET / (logged in)', () => browser.agent.get('/').redirects(0), friendlyPage);
        // The login page itself needs no database (it may show); logging in does, and must say so.
        await timed(
          'log in (new visitor)',
          async () => {
            const visitor = new Browser(t.app);
            const page = await visitor.get('/login');
            expect([200, 503]).toContain(page.status);
            return visitor.submit('/login', { identifier: 'patient', password: STRONG_PASSWORD });
          },
          friendlyPage,
        );
        await timed('htmx GET / (logged in)', () => browser.agent.get('/').set('HX-Request', 'true').redirects(0), friendlyPage);
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
      await mariadb.start();
      const restartedAt = Date.now();

      for (const answer of answers) {
        const bound = answer.what === 'GET /healthz' ? 2000 : 10_000; // 2 s is the bound; pages must simply not hang
        expect({ ...answer, inTime: answer.ms < bound }).toEqual({ ...answer, status: 503, friendly: true, inTime: true });
      }
      // By itself: no restart, no action — the same app answers again as soon as the database is back.
      expect((await health()).status).toBe(200);
      const recoveredIn = Date.now() - restartedAt;
      expect((await browser.get('/')).status).toBe(200); // the session, kept in the database, survived
      expect((await login(new Browser(t.app), 'patient', STRONG_PASSWORD)).status).toBe(303);
      expect((await upload(browser, [{ name: 'back.jpg', data: await jpeg(320, 240, 6) }], { htmx: true })).status).toBe(200);
      expect(recoveredIn).toBeLessThan(30_000);
    }, 120_000);
  });
});
