import { MikroORM } from '@mikro-orm/core';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Photo } from '../../src/photos/photo.entity';
import { StorageCheckService } from '../../src/photos/storage-check.service';
import { spoolDirOf } from '../../src/photos/upload-spool';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';

const MINUTE = 60_000;

describe.each(backends())('start-up clean-up of interrupted uploads [%s]', (backend) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(backend);
  });

  afterAll(async () => {
    await t?.close();
  });

  const pending = async (uploader: string, minutesAgo: number) => {
    const em = t.app.get(MikroORM).em.fork();
    const photo = em.create(Photo, {
      ownerId: 'owner',
      displayName: `${uploader}.jpg`,
      contentType: 'image/jpeg',
      sizeBytes: 1,
      width: 1,
      height: 1,
      sha256: randomBytes(32).toString('hex'),
      uploadedAt: new Date(t.clock.now().getTime() - minutesAgo * MINUTE),
      status: 'pending',
      uploader,
    });
    await em.persist(photo).flush();
    return photo.id;
  };
  const remaining = async () =>
    (
      await t.app
        .get(MikroORM)
        .em.fork()
        .find(Photo, {}, { orderBy: { displayName: 'asc' } })
    ).map((p) => p.displayName);

  it("removes this instance's uploads from before its restart at once, and leaves other instances' (maybe live) ones for 15 minutes", async () => {
    await pending('web-1', 1); // this instance, before it was restarted: dead
    await pending('web-2', 1); // another instance, still running: maybe in flight
    await pending('web-3', 16); // another instance, long gone
    const startedAt = t.clock.now();
    t.clock.advance(1000);
    await pending('web-1-after', 0); // written by this instance's new process after it started
    await t.app.get(MikroORM).em.fork().nativeUpdate(Photo, { displayName: 'web-1-after.jpg' }, { uploader: 'web-1' });

    const report = await t.app.get(StorageCheckService).run({ restarted: { instanceId: 'web-1', startedAt } });
    expect(report).toEqual({ orphanBlobs: 0, missingBlobs: 0, stalePending: 2, usageCorrected: [] });
    expect(await remaining()).toEqual(['web-1-after.jpg', 'web-2.jpg']);

    // The operator's storage:check (no restart) applies only the 15-minute rule.
    expect(await t.app.get(StorageCheckService).run()).toEqual({ orphanBlobs: 0, missingBlobs: 0, stalePending: 0, usageCorrected: [] });
    t.clock.advance(16 * MINUTE);
    expect((await t.app.get(StorageCheckService).run()).stalePending).toBe(2);
  });

  it("empties the spool folder (and local storage's unfinished writes) at start-up even when STORAGE_CHECK_ON_START is off", async () => {
    expect(t.config.storageCheckOnStart).toBe(false);
    const spool = spoolDirOf(t.config);
    await mkdir(spool, { recursive: true });
    await writeFile(join(spool, 'crashed.upload'), 'half a photo');
    const incoming = t.config.storage.driver === 'local' ? join(t.config.storage.root, '.incoming') : undefined;
    if (incoming) await writeFile(join(incoming, 'crashed-write'), 'half a blob');

    await t.restart();

    expect(await readdir(spool).catch(() => [])).toEqual([]);
    if (incoming) expect(await readdir(incoming)).toEqual([]);
  });
});
