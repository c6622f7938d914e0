import { MikroORM } from '@mikro-orm/core';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/app-config';
import { databaseOptions } from '../../src/database/database-options';
import { UPLOAD_CUT_OFF } from '../../src/common/http/multipart-files';
import { Photo } from '../../src/photos/photo.entity';
import { User } from '../../src/users/user.entity';
import { AppProcess, builtApp, startAppProcess } from '../support/app-process';
import { Azurite, startAzurite } from '../support/azurite';
import { Browser, loggedInBrowser } from '../support/browser';
import { jpeg, png } from '../support/images';
import { blobKeysOf } from '../support/storage-listing';
import { backends, createTestDatabase, TestDatabase } from '../support/test-database';
import { decodeEntities, photoIds } from '../support/uploads';

const INSTANCE_ID = 'cut-off-test';
/** Cuts spread evenly through each file's bytes (every byte of every part header is cut as well). */
const CUTS_PER_FILE = 12;

interface Body {
  bytes: Buffer;
  /** Where each part's delimiter line starts and its headers end, and where each file's data starts and ends. */
  headers: Array<[number, number]>;
  files: Array<{ name: string; start: number; end: number }>;
  /** The body is complete for the parser once the closing delimiter `--boundary--` has arrived. */
  completeAt: number;
}

/**
 * `_csrf` (when the token goes in the body), `photos` a.jpg, a file of another field, `photos` b.png, as a browser
 * would send them.
 */
function multipartBody(boundary: string, files: Array<{ field: string; name: string; data: Buffer }>, csrfField?: string): Body {
  const chunks: Buffer[] = [];
  let length = 0;
  const add = (chunk: Buffer) => {
    chunks.push(chunk);
    length += chunk.length;
    return length;
  };
  const headers: Array<[number, number]> = [];
  const stored: Body['files'] = [];
  if (csrfField) {
    const start = length;
    headers.push([start, add(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n`))]);
    add(Buffer.from(`${csrfField}\r\n`));
  }
  for (const file of files) {
    const start = length;
    headers.push([
      start,
      add(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.name}"\r\n\r\n`)),
    ]);
    const dataStart = length;
    const dataEnd = add(file.data);
    if (file.field === 'photos') stored.push({ name: file.name, start: dataStart, end: dataEnd });
    add(Buffer.from('\r\n'));
  }
  const closing = length;
  const completeAt = add(Buffer.from(`--${boundary}--`));
  add(Buffer.from('\r\n'));
  headers.push([closing, length]);
  return { bytes: Buffer.concat(chunks), headers, files: stored, completeAt };
}

/** Every offset inside the part headers and the closing delimiter, a spread through each file's data, and the whole. */
function cutOffsets(body: Body): number[] {
  const cuts = new Set<number>();
  for (const [start, end] of body.headers) for (let at = start; at <= end; at++) cuts.add(at);
  for (const file of body.files) {
    for (let i = 1; i < CUTS_PER_FILE; i++) cuts.add(file.start + Math.floor(((file.end - file.start) * i) / CUTS_PER_FILE));
  }
  cuts.add(body.bytes.length);
  return [...cuts].sort((a, b) => a - b);
}

/** POSTs the first `length` bytes of the body as the whole request (Content-Length says so): a body cut off cleanly. */
function postCut(url: string, browser: Browser, boundary: string, bytes: Buffer, withHeaderToken: boolean) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(`${url}/upload-photos`, {
      method: 'POST',
      agent: false,
      headers: {
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': String(bytes.length),
        Cookie: browser.sessionCookie() ?? '',
        'X-Forwarded-For': browser.ip,
        ...(withHeaderToken ? { 'X-CSRF-Token': browser.csrfToken! } : {}),
      },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(bytes);
  });
}

describe.each(backends())('a cut-off multipart body, against the built app as a process [%s]', (backend) => {
  let build: string;
  let db: TestDatabase;
  let azurite: Azurite | undefined;
  let env: Record<string, string>;
  let app: AppProcess;
  let browsers: Browser[];
  let died = false;

  beforeAll(async () => {
    [build, db] = await Promise.all([builtApp(), createTestDatabase(backend)]);
    // Photos on local disk with SQLite and in Azure (Azurite) with MySQL, as in CI.
    azurite = backend === 'mysql' ? await startAzurite() : undefined;
    env = {
      DATA_DIR: db.dataDir,
      ...(db.database.driver === 'sqlite' ? {} : { DATABASE_URL: db.database.url }),
      ...(azurite ? { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString, AZURE_STORAGE_CONTAINER: 'cut-off' } : {}),
      SESSION_SECRET: 'cut-off-test-session-secret-0123456789abcdef',
      INSTANCE_ID,
    };
    app = await startAppProcess(build, env);
    void app.exited.then(() => (died = true));
    browsers = await Promise.all(['cutter0', 'cutter1', 'cutter2'].map((name) => loggedInBrowser(app.url, name)));
  }, 120_000);

  afterAll(async () => {
    await app?.stop(5000);
    await azurite?.stop();
    await db?.drop();
  });

  it.each([
    ['the CSRF token in the X-CSRF-Token header', true],
    ['the CSRF token as a _csrf field first', false],
  ])(
    'answers every cut (%s) with 400 "cut off" or a correct accept, keeps only whole files, and stays up',
    async (_label, withHeaderToken) => {
      const boundary = `cut${randomBytes(4).toString('hex')}`;
      const files = [
        { field: 'photos', name: 'a.jpg', data: await jpeg(24, 16, 1) },
        { field: 'other', name: 'c.jpg', data: await jpeg(16, 16, 2) },
        { field: 'photos', name: 'b.png', data: await png(16, 24, 3) },
      ];
      // Same layout for everyone (tokens are equally long), so the offsets of one body are those of all.
      const bodyFor = (browser: Browser) => multipartBody(boundary, files, withHeaderToken ? undefined : browser.csrfToken);
      const body = bodyFor(browsers[0]);
      const cuts = cutOffsets(body);
      expect(cuts.length).toBeGreaterThan(250);

      const wrong: string[] = [];
      // Three people cut their uploads side by side (each checks and empties only their own gallery), to finish sooner.
      await Promise.all(
        browsers.map(async (browser, lane) => {
          const { bytes } = bodyFor(browser);
          for (const cut of cuts.filter((_, i) => i % browsers.length === lane)) {
            try {
              const answer = await postCut(app.url, browser, boundary, bytes.subarray(0, cut), withHeaderToken);
              // A file is stored only when all of its bytes and the delimiter after them arrived; the request is accepted
              // only when the closing delimiter did.
              const whole = body.files.filter((file) => cut >= file.end + `\r\n--${boundary}`.length).map((file) => file.name);
              const expected = {
                status: cut >= body.completeAt ? 303 : 400,
                message: cut >= body.completeAt ? '' : UPLOAD_CUT_OFF,
                stored: whole,
              };
              const gallery = (await browser.get('/')).text;
              // Every card carries its name as a title, whatever its state (processing cards have no image yet).
              const stored = files.filter((file) => gallery.includes(`title="${file.name}"`)).map((file) => file.name);
              const got = { status: answer.status, message: answer.status === 400 ? messageOf(answer.body) : '', stored };
              if (JSON.stringify(got) !== JSON.stringify(expected))
                wrong.push(`cut at ${cut}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
              for (const id of photoIds(gallery)) {
                const deleted = await browser.agent
                  .post(`/delete-photo/${id}`)
                  .set({ 'HX-Request': 'true', 'X-CSRF-Token': browser.csrfToken! });
                if (deleted.status !== 200) wrong.push(`cut at ${cut}: deleting the stored photo answered ${deleted.status}`);
              }
            } catch (error) {
              wrong.push(`cut at ${cut}: no answer (${(error as Error).message}); the app ${died ? 'died' : 'is still running'}`);
              return;
            }
          }
        }),
      );
      // The app's errors, if any, say why an answer was wrong.
      const errors = app
        .logs()
        .filter((line) => line.level === 'error')
        .map((line) => JSON.stringify(line.message));
      expect({ wrong, errors }).toEqual({ wrong: [], errors: [] });
      expect(died).toBe(false);
      expect((await fetch(`${app.url}/healthz/live`)).status).toBe(200);

      // Nothing left anywhere: no temporary file, no row (pending or not), no blob, no byte counted against the quota.
      const spool = join(db.dataDir, 'tmp', 'uploads', INSTANCE_ID);
      expect(existsSync(spool) ? readdirSync(spool) : []).toEqual([]);
      const orm = await MikroORM.init(databaseOptions(loadConfig({ ...env })));
      try {
        expect(await orm.em.fork().count(Photo, {})).toBe(0);
        expect((await orm.em.fork().find(User, {})).map((user) => user.usedBytes)).toEqual([0, 0, 0]);
      } finally {
        await orm.close(true);
      }
      expect(await blobKeysOf(loadConfig({ ...env }).storage)).toEqual([]);
    },
    300_000,
  );
});

function messageOf(html: string): string {
  return decodeEntities(/<p class="text-body-secondary">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? html.slice(0, 200));
}
