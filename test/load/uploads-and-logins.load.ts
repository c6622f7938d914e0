import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { AppProcess, builtApp, startAppProcess } from '../support/app-process';
import { Azurite, startAzurite } from '../support/azurite';
import { Browser, loggedInBrowser, login, register } from '../support/browser';
import { backends, createTestDatabase, TestDatabase } from '../support/test-database';
import { photoIds } from '../support/uploads';

const CLIENTS = 50;
const PEAK_RSS_LIMIT_MB = 600;
const LOGIN_RSS_GROWTH_LIMIT_MB = 300;
/**
 * What 50 logins may add to /healthz/live's p99, over the p99 of the same probe on the same machine just before them:
 * the logins' own cost, whatever else the machine is running (CI shares it).
 */
const LIVE_P99_LIMIT_MS = 50;
/** Probes of /healthz/live before the logins, for that same-run baseline. */
const IDLE_PROBES = 200;
/** 5 distinct photos × 10 users = 50 uploads, each new to its owner. */
const PHOTOS = 5;
const UPLOADERS = CLIENTS / PHOTOS;

/** Noisy JPEGs of about 20 MB (3100 × 2325, quality 100): made with sharp once, then kept in the temp folder. */
async function photoFiles(): Promise<string[]> {
  const dir = join(tmpdir(), 'photosphere-load-photos');
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < PHOTOS; i++) {
    const file = join(dir, `noise-${i}.jpg`);
    if (!existsSync(file)) {
      const scratch = `${file}.${randomBytes(4).toString('hex')}.tmp`;
      await sharp({
        create: {
          width: 3100,
          height: 2325,
          channels: 3,
          background: { r: 90 + i * 20, g: 120, b: 160 },
          noise: { type: 'gaussian', mean: 110 + i * 5, sigma: 60 },
        },
      })
        .jpeg({ quality: 100, chromaSubsampling: '4:4:4' })
        .toFile(scratch);
      renameSync(scratch, file);
    }
    files.push(file);
  }
  return files;
}

/** From /proc/<pid>/status: VmRSS (now) or VmHWM (the peak since the process started), in MB. */
function memoryMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]) / 1024;
}

interface Answer {
  status: number;
  retryAfter?: string;
}

const keepAlive = new Agent({ keepAlive: true });

/** One multipart upload of a file on disk, streamed (never held in memory); stops sending once the server answers. */
function postPhoto(url: string, browser: Browser, path: string, name: string): Promise<Answer> {
  const boundary = `----photosphere${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${browser.csrfToken}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="photos"; filename="${name}"\r\nContent-Type: image/jpeg\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/upload-photos`, {
      method: 'POST',
      agent: keepAlive, // as browsers do: a keep-alive client can read an early answer while it is still sending
      headers: {
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': String(head.length + statSync(path).size + tail.length),
        Cookie: browser.sessionCookie() ?? '',
        'X-Forwarded-For': browser.ip,
      },
    });
    const file = createReadStream(path);
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      res.resume();
      res.on('end', () => {
        file.destroy();
        req.destroy();
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined });
      });
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.write(head);
    file.pipe(req, { end: false });
    file.on('end', () => req.end(tail));
  });
}

/**
 * A client that does what a refusal says (503: the instance is busy; 429: this account has its limit of uploads in
 * flight): waits Retry-After seconds and sends again, until the upload is answered, as the gallery's script does.
 */
async function uploadWithRetries(url: string, browser: Browser, path: string, name: string): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (;;) {
    const answer = await postPhoto(url, browser, path, name);
    answers.push(answer);
    if (!isBusy(answer) || !answer.retryAfter) return answers;
    await new Promise((resolve) => setTimeout(resolve, Number(answer.retryAfter) * 1000));
  }
}

const isBusy = (answer: Answer) => answer.status === 503 || answer.status === 429;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// One backend: MariaDB with Azure (Azurite) when TEST_DATABASE_URL is set, as in production; otherwise SQLite and disk.
const backend = backends().includes('mysql') ? 'mysql' : 'sqlite';

describe(`load on the built app as a process [${backend}]`, () => {
  let build: string;
  let db: TestDatabase;
  let azurite: Azurite | undefined;
  let env: Record<string, string>;
  let app: AppProcess | undefined;

  beforeAll(async () => {
    [build, db, azurite] = await Promise.all([builtApp(), createTestDatabase(backend), backend === 'mysql' ? startAzurite() : undefined]);
    env = {
      DATA_DIR: db.dataDir,
      SESSION_SECRET: 'load-test-session-secret-0123456789abcdefgh',
      STORAGE_CHECK_ON_START: 'false',
      ...(db.database.driver === 'sqlite' ? {} : { DATABASE_URL: db.database.url }),
      ...(azurite ? { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString, AZURE_STORAGE_CONTAINER: 'load-test' } : {}),
    };
  }, 300_000);

  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  afterAll(async () => {
    keepAlive.destroy();
    await azurite?.stop();
    await db?.drop();
  });

  it(`takes ${CLIENTS} concurrent 20 MB uploads within ${PEAK_RSS_LIMIT_MB} MB: the excess waits on 503/429 + Retry-After, and all are stored`, async () => {
    const files = await photoFiles();
    app = await startAppProcess(build, env);
    const browsers: Browser[] = [];
    for (let i = 0; i < UPLOADERS; i++) browsers.push(await loggedInBrowser(app.url, `uploader${i}`));

    const started = Date.now();
    const results = await Promise.all(
      browsers.flatMap((browser) => files.map((file, i) => uploadWithRetries(app!.url, browser, file, `photo-${i}.jpg`))),
    );
    const seconds = (Date.now() - started) / 1000;
    const answers = results.flat();
    const peakMb = memoryMb(app.child.pid!, 'VmHWM');
    const busy = answers.filter(isBusy);
    console.log(
      `${CLIENTS} uploads of ${(statSync(files[0]).size / 1e6).toFixed(1)} MB: ${seconds.toFixed(1)} s, peak RSS ${peakMb.toFixed(0)} MB, ` +
        `${busy.length} answers were 503/429 + Retry-After`,
    );

    expect(results.map((tries) => tries[tries.length - 1].status)).toEqual(Array(CLIENTS).fill(303));
    expect(answers.filter((answer) => answer.status >= 500 && answer.status !== 503)).toEqual([]);
    expect(busy.length).toBeGreaterThan(0); // 50 at once is far over the limit: the excess was asked to wait
    expect(busy.every((answer) => answer.retryAfter === '5')).toBe(true);
    expect(peakMb).toBeLessThanOrEqual(PEAK_RSS_LIMIT_MB);
    for (const browser of browsers) expect(photoIds((await browser.get('/')).text)).toHaveLength(PHOTOS);
  });

  it(`logs in ${CLIENTS} people at once within baseline + ${LOGIN_RSS_GROWTH_LIMIT_MB} MB, adding under ${LIVE_P99_LIMIT_MS} ms to /healthz/live's p99`, async () => {
    // The accounts are made by one process; a fresh one is measured.
    app = await startAppProcess(build, env);
    for (let i = 0; i < CLIENTS; i++) {
      const created = await register(new Browser(app.url), { username: `visitor${i}`, email: `visitor${i}@example.com` });
      expect(created.status).toBe(303);
    }
    await app.stop();
    app = await startAppProcess(build, env);
    const browsers = Array.from({ length: CLIENTS }, () => new Browser(app!.url));
    for (const browser of browsers) await browser.get('/login'); // sessions and CSRF tokens, as the login page gives
    const baselineMb = memoryMb(app.child.pid!, 'VmRSS');

    /** Probes /healthz/live every 5 ms while `going()`; each answer's time. */
    const probeLive = async (going: (probes: number) => boolean) => {
      const times: number[] = [];
      while (going(times.length)) {
        const sent = performance.now();
        const res = await fetch(`${app!.url}/healthz/live`);
        await res.arrayBuffer();
        times.push(performance.now() - sent);
        expect(res.status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return times;
    };
    const idleP99 = percentile(await probeLive((probes) => probes < IDLE_PROBES), 99);

    let peakMb = baselineMb;
    const sampler = setInterval(() => (peakMb = Math.max(peakMb, memoryMb(app!.child.pid!, 'VmRSS'))), 10);
    let loggingIn = true;
    const poller = probeLive(() => loggingIn);
    const started = Date.now();
    const logins = await Promise.all(browsers.map((browser, i) => login(browser, `visitor${i}`)));
    const seconds = (Date.now() - started) / 1000;
    loggingIn = false;
    const latencies = await poller;
    clearInterval(sampler);

    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    console.log(
      `${CLIENTS} logins: ${seconds.toFixed(1)} s; RSS baseline ${baselineMb.toFixed(0)} MB, peak ${peakMb.toFixed(0)} MB ` +
        `(+${(peakMb - baselineMb).toFixed(0)}); /healthz/live over ${latencies.length} polls: p50 ${p50.toFixed(1)} ms, ` +
        `p99 ${p99.toFixed(1)} ms (idle before: ${idleP99.toFixed(1)} ms), max ${Math.max(...latencies).toFixed(1)} ms`,
    );

    expect(logins.map((res) => res.status)).toEqual(Array(CLIENTS).fill(303));
    expect(peakMb - baselineMb).toBeLessThanOrEqual(LOGIN_RSS_GROWTH_LIMIT_MB);
    expect(latencies.length).toBeGreaterThanOrEqual(20);
    expect(p99 - idleP99).toBeLessThan(LIVE_P99_LIMIT_MS);
  });
});
