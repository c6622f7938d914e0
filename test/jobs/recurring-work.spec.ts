import { MikroORM } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Job } from '../../src/jobs/job.entity';
import { JobWorkers } from '../../src/jobs/job-workers';
import { Session } from '../../src/sessions/session.entity';
import { PRUNE_SESSIONS_EVERY_MS } from '../../src/sessions/session-pruning';
import { BLOB_STORAGE, BlobStorage } from '../../src/storage/blob-storage.port';
import { CapturingLogger } from '../support/capturing-logger';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';

const HOUR = 3_600_000;

describe.each(backends())("the app's recurring work [%s]", (backend) => {
  let t: TestApp;
  const logger = new CapturingLogger();
  const em = () => t.app.get(MikroORM).em.fork();
  const workers = () => t.app.get(JobWorkers);

  afterEach(async () => {
    await t?.close();
  });

  it('prunes expired sessions every 10 minutes, through the jobs table', async () => {
    t = await createTestApp(backend, { storage: 'local' });
    const now = t.clock.now().getTime();
    await em().insertMany(Session, [
      { sid: 'expired', data: '{}', expiresAt: new Date(now - 1000), userId: null },
      { sid: 'current', data: '{}', expiresAt: new Date(now + 2 * PRUNE_SESSIONS_EVERY_MS), userId: null },
    ]);
    expect(await em().findOne(Job, { id: 'recurring:prune-sessions' })).toMatchObject({ state: 'queued' });

    t.clock.advance(PRUNE_SESSIONS_EVERY_MS - 1);
    await workers().idle();
    expect(await em().count(Session, {})).toBe(2);

    t.clock.advance(1);
    await workers().idle();
    expect((await em().find(Session, {})).map((session) => session.sid)).toEqual(['current']);
  });

  it('runs the storage check every STORAGE_CHECK_HOURS in report-only mode: it logs an orphan blob and removes nothing', async () => {
    t = await createTestApp(backend, { storage: 'local', env: { STORAGE_CHECK_HOURS: '6' }, logger });
    const storage = t.app.get<BlobStorage>(BLOB_STORAGE);
    const orphan = `${randomUUID()}/${randomUUID()}/original.jpg`;
    await storage.put(orphan, Readable.from(Buffer.from('not a photo anyone has')), { contentType: 'image/jpeg' });

    t.clock.advance(6 * HOUR);
    await workers().idle();

    const entries = logger.lines.map((line) => JSON.parse(line)[0]);
    expect(entries).toContainEqual(expect.objectContaining({ msg: 'Storage check found disagreements (nothing changed)', orphanBlobs: 1 }));
    expect(await storage.exists(orphan)).toBe(true);
    expect(await em().findOne(Job, { id: 'recurring:storage-check' })).toMatchObject({ state: 'queued', attempts: 0 });
  });

  it('STORAGE_CHECK_HOURS=0 schedules no storage check, and removes the schedule an earlier start made', async () => {
    t = await createTestApp(backend, { storage: 'local', env: { STORAGE_CHECK_HOURS: '0' } });
    expect(await em().findOne(Job, { id: 'recurring:storage-check' })).toBeNull();
    const now = t.clock.now();
    await em().insert(Job, {
      id: 'recurring:storage-check',
      type: 'recurring:storage-check',
      payload: '{}',
      state: 'queued',
      runAfter: now,
      attempts: 0,
      lastError: null,
      leaseOwner: null,
      leaseUntil: null,
      createdAt: now,
    });

    await t.restart();

    expect(await em().findOne(Job, { id: 'recurring:storage-check' })).toBeNull();
    expect(await em().findOne(Job, { id: 'recurring:prune-sessions' })).not.toBeNull();
  });
});
