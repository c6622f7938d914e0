import { MikroORM } from '@mikro-orm/core';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { loadConfig } from '../../src/config/app-config';
import { databaseOptions } from '../../src/database/database-options';
import { Photo } from '../../src/photos/photo.entity';
import { User } from '../../src/users/user.entity';
import { AppProcess, builtApp, runCli, startAppProcess } from '../support/app-process';
import { Browser, loggedInBrowser, login } from '../support/browser';
import { jpeg } from '../support/images';
import { galleryProcessed } from '../support/processing';
import { slowUpload } from '../support/slow-upload';
import { backends, createTestDatabase, TestDatabase } from '../support/test-database';
import { upload } from '../support/uploads';

const INSTANCE_ID = 'files-on-disk-test';

interface Entry {
  path: string;
  kind: 'folder' | 'file';
  mode: string;
}

/** Every folder and file under `dir` (itself included), with its permission bits in octal. */
function modesUnder(dir: string, root = dir): Entry[] {
  const stats = statSync(dir);
  const here: Entry = {
    path: relative(root, dir) || '.',
    kind: stats.isDirectory() ? 'folder' : 'file',
    mode: (stats.mode & 0o777).toString(8),
  };
  if (here.kind === 'file') return [here];
  return [
    here,
    ...readdirSync(dir)
      .sort()
      .flatMap((name) => modesUnder(join(dir, name), root)),
  ];
}

describe.each(backends())('files the app keeps in DATA_DIR, on local disk [%s]', (backend) => {
  let build: string;
  let db: TestDatabase;
  let dataDir: string;
  let env: Record<string, string>;
  let app: AppProcess | undefined;

  beforeAll(async () => {
    [build, db] = await Promise.all([builtApp(), createTestDatabase(backend)]);
    dataDir = db.dataDir; // an empty folder: everything in it is made by the app
    env = {
      DATA_DIR: dataDir,
      ...(db.database.driver === 'sqlite' ? {} : { DATABASE_URL: db.database.url }),
      INSTANCE_ID,
      STORAGE_CHECK_ON_START: 'true',
    };
  }, 120_000);

  afterEach(async () => {
    await app?.stop(5000);
    app = undefined;
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('creates every folder 0700 and every file 0600: database, session secret, photos, upload spool, outbox', async () => {
    process.umask(0o022); // the usual umask, inherited by the app's process: it must not matter
    app = await startAppProcess(build, env);
    const browser = await loggedInBrowser(app.url, 'private');
    await upload(browser, [{ name: 'mine.jpg', data: await jpeg(400, 300, 1) }]);
    // An upload being received: its temporary file, looked at while the client holds back the rest.
    const inFlight = slowUpload(app.url, browser, { name: 'slow.jpg', data: await jpeg(1600, 1200, 2) });
    const spool = join(dataDir, 'tmp', 'uploads', INSTANCE_ID);
    while (!existsSync(spool) || readdirSync(spool).length === 0) await setTimeout(20);
    const spooled = modesUnder(spool).filter((entry) => entry.path !== '.');
    await inFlight.finish();
    expect((await inFlight.response).status).toBe(303);
    // A password reset email, written to the outbox (queued emails are written before the process exits).
    await new Browser(app.url).submit('/forgot-password', { email: 'private@example.com' }, { from: '/forgot-password' });
    // The mail is written by its job, after the answer: wait for it to land before stopping.
    const outbox = join(dataDir, 'outbox');
    while (!existsSync(outbox) || !readdirSync(outbox).some((name) => name.endsWith('.eml'))) await setTimeout(20);
    await app.stop();

    const entries = [...modesUnder(dataDir), ...spooled];
    const paths = entries.map((entry) => entry.path);
    expect(paths).toEqual(expect.arrayContaining(['.', 'session-secret', 'photos', 'photos/.incoming', 'tmp/uploads', 'outbox']));
    if (backend === 'sqlite') expect(paths).toContain('photosphere.sqlite');
    expect(paths.filter((path) => /^photos\/[0-9a-f-]{36}\/[0-9a-f-]{36}\/original\.jpg$/.test(path))).toHaveLength(2);
    expect(paths.filter((path) => path.startsWith('outbox/') && path.endsWith('.eml'))).toHaveLength(1);
    expect(spooled).toHaveLength(1);
    expect(entries.filter((entry) => entry.mode !== (entry.kind === 'folder' ? '700' : '600'))).toEqual([]);
  }, 120_000);

  it('after a crash, the next start removes half-written blobs and recounts bytes that no photo accounts for', async () => {
    app = await startAppProcess(build, env);
    const browser = await loggedInBrowser(app.url, 'crashed');
    await upload(browser, [{ name: 'kept.jpg', data: await jpeg(400, 300, 3) }]);
    app.child.kill('SIGKILL');
    await app.exited;

    // What a kill -9 of an older version left: a blob half written into .incoming, and bytes reserved by an upload that
    // never got its row.
    writeFileSync(join(dataDir, 'photos', '.incoming', 'a3f1c7e0-half-written'), 'half a photo');
    const orm = await MikroORM.init(databaseOptions(loadConfig({ ...env })));
    let owner: User;
    let photoBytes: number;
    try {
      owner = await orm.em.fork().findOneOrFail(User, { usernameKey: 'crashed' });
      photoBytes = (await orm.em.fork().findOneOrFail(Photo, { ownerId: owner.id })).sizeBytes;
      expect(owner.usedBytes).toBe(photoBytes);
      await orm.em.fork().nativeUpdate(User, { id: owner.id }, { usedBytes: photoBytes + 170 * 1024 });
    } finally {
      await orm.close(true);
    }

    app = await startAppProcess(build, env);
    const report = await app.waitForLog((line) => (line.message as { msg?: string })?.msg === 'Storage check finished');
    expect(report.message).toMatchObject({
      stalePending: 0,
      orphanBlobs: 0,
      missingBlobs: 0,
      usageCorrected: [{ userId: owner.id, wasBytes: photoBytes + 170 * 1024, nowBytes: photoBytes }],
    });
    // The photo's job, cut off by the crash, runs again on this start: once it is done, nothing is being written.
    const crashed = new Browser(app.url);
    await login(crashed, 'crashed');
    await galleryProcessed(crashed);
    expect(readdirSync(join(dataDir, 'photos', '.incoming'))).toEqual([]);
    await app.stop();

    const zeros = 'Orphan blobs removed: 0\nPhotos with missing blobs removed: 0\nInterrupted uploads removed: 0\n';
    expect((await runCli(build, ['storage:check'], env)).stdout).toBe(zeros);

    // The operator's command corrects it as well, and says for whom.
    const again = await MikroORM.init(databaseOptions(loadConfig({ ...env })));
    try {
      await again.em.fork().nativeUpdate(User, { id: owner.id }, { usedBytes: 0 });
      const check = await runCli(build, ['storage:check'], env);
      expect(check).toEqual({
        code: 0,
        stderr: '',
        stdout: `${zeros}Storage used by crashed corrected: 0 bytes counted, ${photoBytes} bytes in photos\n`,
      });
      expect((await again.em.fork().findOneOrFail(User, { id: owner.id })).usedBytes).toBe(photoBytes);
    } finally {
      await again.close(true);
    }
  }, 120_000);
});
