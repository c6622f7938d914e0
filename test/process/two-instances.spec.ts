import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, builtApp, runCli, startAppProcess } from '../support/app-process';
import { Azurite, startAzurite } from '../support/azurite';
import { Browser, loggedInBrowser } from '../support/browser';
import { galleryProcessed } from '../support/processing';
import { jpeg } from '../support/images';
import { backends, createTestDatabase, TestDatabase } from '../support/test-database';
import { photoIds, upload } from '../support/uploads';

// Several instances need a shared database server: MariaDB/MySQL. In CI backends() fails when it is missing.
const withSharedDatabase = backends().includes('mysql') ? describe : describe.skip;

withSharedDatabase('two instances on one MariaDB and one Azurite [mysql]', () => {
  let build: string;
  let db: TestDatabase;
  let azurite: Azurite;
  const dataDirs: string[] = [];
  let a: AppProcess;
  let b: AppProcess;

  beforeAll(async () => {
    [build, db, azurite] = await Promise.all([builtApp(), createTestDatabase('mysql'), startAzurite()]);
    if (db.database.driver === 'sqlite') throw new Error('unreachable');
    const shared = {
      DATABASE_URL: db.database.url,
      AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
      AZURE_STORAGE_CONTAINER: `shared-${randomBytes(4).toString('hex')}`,
      SESSION_SECRET: 'two-instances-shared-secret-0123456789abcdef',
      STORAGE_CHECK_ON_START: 'true',
    };
    const own = (name: string) => {
      const dataDir = mkdtempSync(join(tmpdir(), `photosphere-${name}-`));
      dataDirs.push(dataDir);
      return { ...shared, DATA_DIR: dataDir, INSTANCE_ID: name };
    };
    // As the README says: migrate once, then start the instances.
    const migrated = await runCli(build, ['migrate'], own('migrate'));
    expect(migrated.code).toBe(0);
    [a, b] = await Promise.all([startAppProcess(build, own('a')), startAppProcess(build, own('b'))]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(5000), b?.stop(5000)]);
    await azurite?.stop();
    await db?.drop();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a session from one instance on the other, shares uploads both ways, and a delete on one is gone on the other', async () => {
    const onA = await loggedInBrowser(a.url, 'roamer');
    const onB = new Browser(b.url);
    onB.useSession(onA.sessionCookie()!);
    const galleryOnB = await onB.get('/');
    expect(galleryOnB.status).toBe(200);
    expect(galleryOnB.text).toContain('roamer');

    const [viaA, viaB] = await Promise.all([
      upload(onA, [{ name: 'from-a.jpg', data: await jpeg(1200, 900, 1) }]),
      upload(onB, [{ name: 'from-b.jpg', data: await jpeg(1200, 900, 2) }]),
    ]);
    expect([viaA.status, viaB.status]).toEqual([303, 303]);
    const idsOnA = photoIds(await galleryProcessed(onA)); // either instance's workers may make the renditions
    const idsOnB = photoIds((await onB.get('/')).text);
    expect(idsOnA).toHaveLength(2);
    expect(idsOnB).toEqual(idsOnA);
    for (const id of idsOnA) {
      expect((await onA.get(`/photos/${id}/thumbnail`)).status).toBe(200);
      expect((await onB.get(`/photos/${id}/original`)).status).toBe(200);
    }

    const [deleted, kept] = idsOnA;
    expect((await onA.submit(`/delete-photo/${deleted}`, {}, { from: '/' })).status).toBe(303);
    expect((await onB.get(`/photos/${deleted}`)).status).toBe(404);
    expect((await onB.get(`/photos/${deleted}/thumbnail`)).status).toBe(404);
    expect(photoIds((await onB.get('/')).text)).toEqual([kept]);

    // Logging out on B ends the session on A too: there is one session, in the shared database.
    expect((await onB.submit('/logout', {}, { from: '/' })).status).toBe(303);
    expect((await onA.get('/')).status).toBe(302);
  }, 60_000);
});
