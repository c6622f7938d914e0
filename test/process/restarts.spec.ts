import { MikroORM } from '@mikro-orm/core';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { connect, createServer, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/app-config';
import { databaseOptions } from '../../src/database/database-options';
import { Photo } from '../../src/photos/photo.entity';
import { AppProcess, builtApp, runCli, startAppProcess } from '../support/app-process';
import { Azurite, startAzurite } from '../support/azurite';
import { Browser, loggedInBrowser, login } from '../support/browser';
import { untilFolderHolds } from '../support/folder-watch';
import { galleryProcessed } from '../support/processing';
import { jpeg } from '../support/images';
import { slowUpload } from '../support/slow-upload';
import { backends, createTestDatabase, TestDatabase } from '../support/test-database';
import { photoIds, upload } from '../support/uploads';

const INSTANCE_ID = 'restarts-test';

/** Resolves true if a new TCP connection is refused, false if it is accepted. */
function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

const logged = (msg: string) => (line: Record<string, unknown>) => (line.message as { msg?: string })?.msg === msg;

describe.each(backends())('restarts: the built app as a process [%s]', (backend) => {
  let build: string;
  let db: TestDatabase;
  let azurite: Azurite;
  let env: Record<string, string>;
  let app: AppProcess | undefined;
  let orm: MikroORM | undefined;
  /** Pending photo rows, read beside the app — only while it is dead or idle, so never against its own writes. */
  const pendingRows = () => orm!.em.fork().count(Photo, { status: 'pending' });
  const spoolDir = () => join(db.dataDir, 'tmp', 'uploads', INSTANCE_ID);
  const spooling = () => (existsSync(spoolDir()) ? readdirSync(spoolDir()).length : 0);

  beforeAll(async () => {
    [build, db, azurite] = await Promise.all([builtApp(), createTestDatabase(backend), startAzurite()]);
    env = {
      DATA_DIR: db.dataDir,
      ...(db.database.driver === 'sqlite' ? {} : { DATABASE_URL: db.database.url }),
      AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
      AZURE_STORAGE_CONTAINER: `restarts-${backend}`,
      SESSION_SECRET: 'restarts-test-session-secret-0123456789abcdef',
      INSTANCE_ID,
      MAX_CONCURRENT_UPLOADS: '11',
      MAX_CONCURRENT_UPLOADS_PER_ACCOUNT: '11', // one account sends all eleven
      UPLOAD_IDLE_SECONDS: '600', // the held and stalled uploads must still be in flight at SIGTERM
    };
  }, 120_000);

  afterEach(async () => {
    await app?.stop(1000);
    app = undefined;
    await orm?.close(true);
    orm = undefined;
  });

  afterAll(async () => {
    await azurite?.stop();
    await db?.drop();
  });

  it('on SIGTERM: not ready at once, refuses new connections, lets 10 slow uploads finish, cuts a stalled one after 25 s, exits with 0', async () => {
    app = await startAppProcess(build, env);
    const browser = await loggedInBrowser(app.url, 'patient');
    const photos = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => ({ name: `slow-${i}.jpg`, data: await jpeg(1600, 1200, i + 1) })),
    );
    const uploads = photos.map((photo) => slowUpload(app!.url, browser, photo));
    // And one whose client stalls for good: the grace period must not wait for it.
    const stalled = slowUpload(app.url, browser, { name: 'stalled.jpg', data: await jpeg(1600, 1200, 99) });
    await untilFolderHolds(spoolDir(), 11); // all eleven are being received

    // A readiness probe already on its way (its connection open, headers not finished) when the signal arrives. The
    // unfinished request follows a complete one in the same packet, so once that one is answered the app has read
    // the start of the probe's request too.
    const probe = connect(app.port, '127.0.0.1');
    let received = '';
    probe.on('data', (chunk) => (received += chunk));
    const probeClosed = once(probe, 'close');
    await once(probe, 'connect');
    const firstAnswered = new Promise<void>((resolve) => probe.on('data', () => received.includes('{"status":"ok"}') && resolve()));
    probe.write('GET /healthz/live HTTP/1.1\r\nHost: localhost\r\n\r\nGET /healthz/ready HTTP/1.1\r\nHost: localhost\r\n');
    await firstAnswered;
    const firstAnswer = received;

    const signalled = Date.now();
    app.child.kill('SIGTERM');
    await app.waitForLog(logged('Shutting down: no new connections; waiting for requests in flight'));
    expect(await connectionRefused(app.port)).toBe(true);
    const refusedAfterMs = Date.now() - signalled;
    probe.write('\r\n');
    await probeClosed; // answered with Connection: close
    const probeAnswer = received.slice(firstAnswer.length);
    expect(probeAnswer).toMatch(/^HTTP\/1\.1 503 /);
    expect(probeAnswer).toContain('{"status":"shutting-down"}');
    expect(refusedAfterMs).toBeLessThan(2000);

    // The ten keep streaming (a few seconds more) and all succeed, each told that the connection closes.
    await Promise.all(uploads.map((upload) => upload.finish({ chunkBytes: 16 * 1024, everyMs: 50 })));
    const answers = await Promise.all(uploads.map((upload) => upload.response));
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(303));
    expect(answers.map((answer) => answer.headers.connection)).toEqual(Array(10).fill('close'));
    // The stalled one is cut when the 25 s grace period is over, and the process exits with 0.
    await expect(stalled.response).rejects.toThrow();
    const exit = await app.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(27_000);

    // Everything was stored: the next start shows all ten photos.
    app = await startAppProcess(build, env);
    const again = new Browser(app.url);
    await login(again, 'patient');
    expect(photoIds((await again.get('/')).text)).toHaveLength(10);
  }, 90_000);

  it('after kill -9 mid-upload, the next start removes what was left, and a second check finds nothing', async () => {
    app = await startAppProcess(build, { ...env, STORAGE_CHECK_ON_START: 'true' });
    await app.waitForLog(logged('Storage check finished')); // from here on only uploads talk to storage
    const browser = await loggedInBrowser(app.url, 'crashy');
    expect((await upload(browser, [{ name: 'kept.jpg', data: await jpeg(800, 600, 100) }])).status).toBe(303);
    await galleryProcessed(browser); // its processing job is done with storage too

    // Storage stops answering (connections accepted, never served), so the next upload hangs after writing its row:
    // the app writes the pending row first, then connects to storage to store the original. Killed at that moment.
    orm = await MikroORM.init(databaseOptions(loadConfig({ ...env })));
    const blackhole = await swallowConnections(azurite);
    try {
      void upload(browser, [{ name: 'doomed.jpg', data: await jpeg(800, 600, 101) }]).catch(() => undefined);
      await blackhole.connected;
      app.child.kill('SIGKILL');
      expect(await app.exited).toEqual({ code: null, signal: 'SIGKILL' });
    } finally {
      await blackhole.close();
    }
    expect(await pendingRows()).toBe(1);
    expect(spooling()).toBe(1); // the dead upload's temporary file

    app = await startAppProcess(build, { ...env, STORAGE_CHECK_ON_START: 'true' });
    const report = await app.waitForLog(logged('Storage check finished'));
    expect(report.message).toMatchObject({ stalePending: 1, orphanBlobs: 0, missingBlobs: 0 });
    expect(await pendingRows()).toBe(0);
    expect(spooling()).toBe(0);

    const check = await runCli(build, ['storage:check'], { ...env });
    expect(check.stderr).toBe('');
    expect(check.stdout).toBe('Orphan blobs removed: 0\nPhotos with missing blobs removed: 0\nInterrupted uploads removed: 0\n');
    expect(check.code).toBe(0);

    const again = new Browser(app.url);
    await login(again, 'crashy');
    const gallery = (await again.get('/')).text;
    expect(photoIds(gallery)).toHaveLength(1);
    expect(gallery).toContain('kept.jpg');
  }, 90_000);

  it('after kill -9 with a photo still processing, its job runs at the next start and the photo becomes ready', async () => {
    // Workers off: the upload leaves its photo processing and its job queued, as a crash before the job ran would.
    app = await startAppProcess(build, { ...env, ROLE: 'web' });
    const browser = await loggedInBrowser(app.url, 'interrupted');
    expect((await upload(browser, [{ name: 'unfinished.jpg', data: await jpeg(800, 600, 102) }])).status).toBe(303);
    const [id] = photoIds((await browser.get('/')).text);
    expect((await browser.get('/')).text).toContain(`data-photo-id="${id}" data-photo-state="processing"`);
    app.child.kill('SIGKILL');
    expect(await app.exited).toEqual({ code: null, signal: 'SIGKILL' });

    app = await startAppProcess(build, env);
    const again = new Browser(app.url);
    await login(again, 'interrupted');
    expect(await galleryProcessed(again)).toContain(`data-photo-id="${id}" data-photo-state="ready"`);
    expect((await again.get(`/photos/${id}/thumbnail`)).status).toBe(200);
  }, 90_000);
});

/**
 * Stops Azurite and listens on its port instead, accepting connections and never answering: storage that hangs.
 * `connected` resolves when the first connection arrives; `close` puts Azurite back.
 */
async function swallowConnections(azurite: Azurite): Promise<{ connected: Promise<void>; close(): Promise<void> }> {
  const port = Number(new URL(azurite.blobEndpoint).port);
  await azurite.pause();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  const connected = once(server, 'connection').then(() => undefined);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    connected,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      await azurite.resume();
    },
  };
}
