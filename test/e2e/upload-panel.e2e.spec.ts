import { MikroORM } from '@mikro-orm/core';
import { copyFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Browser as Chromium, BrowserContext, Page, Route } from 'playwright-core';
import sharp from 'sharp';
import { Photo } from '../../src/photos/photo.entity';
import { BLOB_STORAGE, BlobStorage, StorageUnavailableError } from '../../src/storage/blob-storage.port';
import { DatabaseSessionStore } from '../../src/sessions/database-session.store';
import { User } from '../../src/users/user.entity';
import { jpegWithBrokenBody } from '../support/broken-images';
import { loggedInBrowser, STRONG_PASSWORD } from '../support/browser';
import { png } from '../support/images';
import { photosProcessed } from '../support/processing';
import { TestApp } from '../support/test-app';
import { launchChromium, newPage, PageProblems, PHONE, SCREENSHOTS } from './chromium';
import { startE2eApp } from './e2e-app';

const MAX_UPLOAD_MB = 12;
const CHUNK_BYTES = 8 * 1024 * 1024; // public/js/upload-panel.js sends a file in PATCHes of this size
const SETTLED = '.upload-row:not([data-state=waiting]):not([data-state=uploading])';

interface DroppedFile {
  name: string;
  type: string;
  data: Buffer;
}

/**
 * The upload panel in real Chromium against the real tus endpoint: big drops, drops during an upload, a network cut,
 * an expired session, and files the server refuses. Every wait is on the page's state (DOM) or the network.
 */
describe('the upload panel in a real browser', () => {
  let t: TestApp & { baseUrl: string };
  let chromium: Chromium;
  let users = 0;

  beforeAll(async () => {
    // As many upload slots per account as the panel sends files at once, so none is refused with 429 and retried.
    t = await startE2eApp({ MAX_UPLOAD_MB: String(MAX_UPLOAD_MB) });
    chromium = await launchChromium();
  });

  afterAll(async () => {
    await chromium?.close();
    await t?.close();
  });

  /** A new account, logged in, on its gallery; the page counts the files uploading at once (`maxUploading`). */
  async function gallery(app = t): Promise<{ page: Page; problems: PageProblems; context: BrowserContext; username: string }> {
    const username = `panel${++users}`;
    const http = await loggedInBrowser(app.baseUrl, username);
    const { page, problems, context } = await newPage(chromium);
    const cookie = http.sessionCookie()!;
    const split = cookie.indexOf('=');
    await context.addCookies([{ name: cookie.slice(0, split), value: cookie.slice(split + 1), url: app.baseUrl }]);
    await page.goto(app.baseUrl + '/');
    await page.getByRole('heading', { name: 'Your photos' }).waitFor();
    await page.evaluate(() => {
      const w = window as unknown as { maxUploading: number };
      w.maxUploading = 0;
      new MutationObserver(() => {
        w.maxUploading = Math.max(w.maxUploading, document.querySelectorAll('.upload-row[data-state=uploading]').length);
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
    });
    return { page, problems, context, username };
  }

  /** Drops files on the gallery's drop zone, as a person dragging them from their file manager. */
  async function drop(page: Page, files: DroppedFile[]) {
    const transfer = await page.evaluateHandle(
      (list) => {
        const dataTransfer = new DataTransfer();
        for (const file of list) {
          const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
          dataTransfer.items.add(new File([bytes], file.name, { type: file.type }));
        }
        return dataTransfer;
      },
      files.map((file) => ({ name: file.name, type: file.type, base64: file.data.toString('base64') })),
    );
    await page.dispatchEvent('#drop-zone', 'dragenter', { dataTransfer: transfer });
    await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: transfer });
  }

  const pngs = (count: number, from: number, prefix: string) =>
    Promise.all(
      Array.from({ length: count }, async (_, i) => ({
        name: `${prefix}-${i + 1}.png`,
        type: 'image/png',
        data: await png(40, 30, from + i),
      })),
    );

  /** The requests the page sends to the tus endpoint: method and Upload-Offset. */
  function tusRequests(page: Page) {
    const requests: { method: string; offset?: string }[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/uploads'))
        requests.push({ method: request.method(), offset: request.headers()['upload-offset'] });
    });
    return requests;
  }

  async function rowStates(page: Page): Promise<Record<string, number>> {
    return page.evaluate(() => {
      const counts: Record<string, number> = {};
      document
        .querySelectorAll<HTMLElement>('.upload-row')
        .forEach((row) => (counts[row.dataset.state!] = (counts[row.dataset.state!] ?? 0) + 1));
      return counts;
    });
  }

  const allSettled = (page: Page, count: number) =>
    page.waitForFunction(
      ({ count, settled }) =>
        document.querySelectorAll('.upload-row').length === count && document.querySelectorAll(settled).length === count,
      { count, settled: SETTLED },
      { timeout: 180_000 },
    );

  const allDone = (page: Page, count: number) =>
    page.waitForFunction((n) => document.querySelectorAll('.upload-row[data-state=done]').length === n, count, { timeout: 180_000 });

  async function photosOf(username: string): Promise<number> {
    const em = t.app.get(MikroORM).em.fork();
    const user = await em.findOneOrFail(User, { username });
    return em.count(Photo, { ownerId: user.id });
  }

  it('takes 120 dropped files and 10 more dropped meanwhile, three at a time, and accounts for every one', async () => {
    const { page, problems, context, username } = await gallery();
    const requests = tusRequests(page);
    await drop(page, await pngs(120, 1, 'first'));
    await page.getByRole('region', { name: /Uploading 120 files/ }).waitFor();
    await page.waitForFunction((settled) => document.querySelectorAll(settled).length >= 10, SETTLED);
    await drop(page, await pngs(10, 200, 'later'));
    await page.getByRole('region', { name: /Uploading 130 files/ }).waitFor();
    await allDone(page, 130);

    expect(await rowStates(page)).toEqual({ done: 130 });
    expect(await page.locator('[data-upload-summary]').textContent()).toMatch(/^130 of 130 · [\d.]+ MB of [\d.]+ MB$/);
    expect(await page.getByRole('region', { name: 'Uploads' }).isVisible()).toBe(true);
    expect(await page.locator('#photo-grid .photo-card').count()).toBe(130);
    expect(await photosOf(username)).toBe(130);
    const maxUploading = await page.evaluate(() => (window as unknown as { maxUploading: number }).maxUploading);
    expect(maxUploading).toBe(3); // parallel, and never more than three files in flight
    expect(requests.filter((r) => r.method === 'POST')).toHaveLength(130);
    expect(problems.list()).toEqual([]);
    await context.close();
  }, 300_000);

  it('goes on from the last byte it sent after the network is cut for a moment', async () => {
    const { page, problems, context, username } = await gallery();
    const requests = tusRequests(page);
    const width = 1900;
    const height = 1800;
    const big = await sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(big.length).toBeGreaterThan(CHUNK_BYTES);
    let cuts = 0;
    // The cut: once the first chunk has arrived, the next requests to the tus endpoint fail as if the cable were pulled.
    await page.route('**/uploads/**', (route) => {
      const resuming = route.request().method() !== 'HEAD' && Number(route.request().headers()['upload-offset'] ?? 0) > 0;
      if (resuming && cuts < 2) {
        cuts++;
        return route.abort('internetdisconnected');
      }
      return route.continue();
    });
    await problems.during(/ERR_INTERNET_DISCONNECTED/, async () => {
      await drop(page, [{ name: 'big.png', type: 'image/png', data: big }, ...(await pngs(4, 50, 'small'))]);
      await allDone(page, 5);
    });
    expect(cuts).toBe(2);
    const patches = requests.filter((r) => r.method === 'PATCH').map((r) => Number(r.offset));
    expect(patches.filter((offset) => offset === CHUNK_BYTES).length).toBeGreaterThanOrEqual(3); // cut twice, then through
    expect(requests.some((r) => r.method === 'HEAD')).toBe(true); // it asked the server where it was
    expect(await photosOf(username)).toBe(5);
    expect(problems.list()).toEqual([]);
    await context.close();
  }, 120_000);

  it('pauses when the session ends mid-queue, asks to log in in a modal, and finishes after logging in', async () => {
    const { page, problems, context, username } = await gallery();
    const files = await pngs(40, 100, 'session');
    await problems.during(/status of 401/, async () => {
      await drop(page, files);
      await page.waitForFunction((settled) => document.querySelectorAll(settled).length >= 5, SETTLED);
      const user = await t.app.get(MikroORM).em.fork().findOneOrFail(User, { username });
      await t.app.get(DatabaseSessionStore).destroyAllOf(user.id); // the session ends on the server
      const modal = page.getByRole('dialog', { name: 'Your session has ended — log in to continue' });
      await modal.waitFor();
      expect(await page.getByRole('alert').filter({ hasText: 'Your session has ended — log in to continue' }).isVisible()).toBe(true);
      expect(await page.locator('[data-upload-summary]').textContent()).toMatch(/ · paused$/);
      const url = page.url();
      await modal.getByLabel('Email or username').fill(username);
      await modal.getByLabel('Password').fill(STRONG_PASSWORD);
      await modal.getByLabel('Keep me logged in').check();
      await modal.getByRole('button', { name: 'Log in and continue' }).click();
      await modal.waitFor({ state: 'hidden' });
      expect(page.url()).toBe(url); // logged in without leaving the page
    });
    await allDone(page, 40);
    expect(await photosOf(username)).toBe(40);
    expect(await page.getByRole('alert').filter({ hasText: 'Your session has ended' }).isVisible()).toBe(false);
    expect(problems.list()).toEqual([]);
    await context.close();
  }, 180_000);

  it('keeps the page when the session ends while photos are still processing: the grid poller asks to log in, then goes on', async () => {
    // No workers: the photos stay processing, so the grid's poller is still asking when the session ends.
    const web = await startE2eApp({ ROLE: 'web' });
    const { page, problems, context, username } = await gallery(web);
    try {
      await drop(page, await pngs(3, 200, 'slow'));
      await page.waitForFunction(() => document.querySelectorAll('.upload-row[data-state=processing]').length === 3);
      const url = page.url();
      await problems.during(/status of 401/, async () => {
        const user = await web.app.get(MikroORM).em.fork().findOneOrFail(User, { username });
        await web.app.get(DatabaseSessionStore).destroyAllOf(user.id);
        const modal = page.getByRole('dialog', { name: 'Your session has ended — log in to continue' });
        await modal.waitFor(); // the poller's next request was refused: no redirect to the login page
        expect(page.url()).toBe(url);
        await modal.getByLabel('Email or username').fill(username);
        await modal.getByLabel('Password').fill(STRONG_PASSWORD);
        await modal.getByRole('button', { name: 'Log in and continue' }).click();
        await modal.waitFor({ state: 'hidden' });
      });
      await photosProcessed(web.app);
      await allDone(page, 3); // the restarted poller turned the cards ready
      expect(page.url()).toBe(url);
      expect(problems.list()).toEqual([]);
    } finally {
      await context.close();
      await web.close();
    }
  }, 120_000);

  it('finishes a file whose last PATCH met photo storage down (503) with a PATCH of no bytes, and shows its photo', async () => {
    const { page, problems, context, username } = await gallery();
    const requests = tusRequests(page);
    const [file] = await pngs(1, 180, 'stormy');
    const putFile = jest.spyOn(t.app.get<BlobStorage>(BLOB_STORAGE), 'putFile').mockRejectedValueOnce(new StorageUnavailableError());
    try {
      await problems.during(/status of 503/, async () => {
        await drop(page, [file]);
        await allSettled(page, 1);
      });
    } finally {
      putFile.mockRestore();
    }
    await allDone(page, 1);
    expect(await photosOf(username)).toBe(1);
    const length = String(file.data.length);
    const patches = requests.filter((r) => r.method === 'PATCH').map((r) => r.offset);
    expect(patches).toEqual(['0', length]); // the one that met the outage, then the empty one that finished it
    expect(requests.some((r) => r.method === 'HEAD')).toBe(true);
    expect(problems.list()).toEqual([]);
    await context.close();
  }, 120_000);

  it('lists every refused file with its reason, beside the ones that went in', async () => {
    const { page, problems, context } = await gallery();
    const photos = await pngs(3, 150, 'holiday');
    await drop(page, photos);
    await allDone(page, 3);
    const refused = [
      { name: 'notes-1.txt', type: 'text/plain', data: Buffer.from('shopping list\n') },
      { name: 'notes-2.txt', type: 'text/plain', data: Buffer.from('to do\n') },
      { name: 'fake.jpg', type: 'image/jpeg', data: Buffer.from('not a picture at all') },
      { name: 'huge.png', type: 'image/png', data: randomBytes((MAX_UPLOAD_MB + 1) * 1024 * 1024) },
      { ...photos[0], name: 'holiday-again.png' },
      { name: 'cut-short.jpg', type: 'image/jpeg', data: await jpegWithBrokenBody(170) }, // fails in processing, not in the request
    ];
    await problems.during(/status of 413/, async () => {
      await drop(page, [...refused, ...(await pngs(2, 160, 'beach'))]);
      await allSettled(page, 11);
      await allDone(page, 5);
    });
    const status = (name: string) => page.locator('.upload-row', { hasText: name }).locator('[data-status]').textContent();
    for (const name of ['notes-1.txt', 'notes-2.txt', 'fake.jpg']) {
      expect(await status(name)).toMatch(new RegExp(`^Refused: ${name.replace('.', '\\.')} is not a supported image \\(.+\\)\\.$`));
    }
    expect(await status('huge.png')).toBe(`Refused: huge.png is larger than ${MAX_UPLOAD_MB} MB.`);
    expect(await status('holiday-again.png')).toBe('Already in your library');
    expect(await status('cut-short.jpg')).toBe('Refused: cut-short.jpg could not be read as an image; it may be damaged or incomplete.');
    expect(await rowStates(page)).toEqual({ done: 5, refused: 5, duplicate: 1 });
    expect(await page.locator('[data-upload-summary]').textContent()).toMatch(/^11 of 11 · /);
    await page.getByRole('region', { name: 'Uploads' }).screenshot({ path: join(SCREENSHOTS, 'upload-panel-desktop.png') });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: join(SCREENSHOTS, 'upload-panel-phone.png') });
    if (process.env.UPDATE_SCREENSHOTS) {
      copyFileSync(join(SCREENSHOTS, 'upload-panel-desktop.png'), join(__dirname, '..', '..', 'docs', 'screenshots', 'upload-panel.png'));
      copyFileSync(
        join(SCREENSHOTS, 'upload-panel-phone.png'),
        join(__dirname, '..', '..', 'docs', 'screenshots', 'phone-upload-panel.png'),
      );
    }
    expect(problems.list()).toEqual([]);
    await context.close();
  }, 180_000);

  it('cancels one file or all of them, asks before the page is left meanwhile; cancelled files are not stored', async () => {
    const { page, problems, context, username } = await gallery();
    // Every PATCH is held until the end, so no file can finish before Cancel all: the outcome does not depend on speed.
    const held: Route[] = [];
    await page.route('**/uploads/*', (route) => (route.request().method() === 'PATCH' ? held.push(route) : route.continue()));
    await drop(page, await pngs(30, 300, 'cancel'));
    await page.waitForFunction(() => document.querySelectorAll('.upload-row[data-state=uploading]').length === 3);
    await page.locator('.upload-row[data-state=waiting]').last().getByRole('button', { name: 'Cancel cancel-30.png' }).click();
    await page.locator('.upload-row[data-state=cancelled]', { hasText: 'cancel-30.png' }).waitFor();
    // Leaving while files are still waiting asks first (the click above gave the page the user activation it needs).
    const asked = page.waitForEvent('dialog');
    await page.close({ runBeforeUnload: true });
    const leave = await asked;
    expect(leave.type()).toBe('beforeunload');
    await leave.dismiss();
    await page.getByRole('button', { name: 'Cancel all' }).click();
    await allSettled(page, 30);
    expect(await rowStates(page)).toEqual({ cancelled: 30 });
    expect(held.length).toBeLessThanOrEqual(3); // never more than three in flight, even when nothing finishes
    for (const route of held) await route.abort().catch(() => undefined); // their requests were already given up
    expect(await photosOf(username)).toBe(0);
    expect(await page.getByRole('button', { name: 'Close the upload panel' }).isVisible()).toBe(true);
    expect(problems.list()).toEqual([]);
    await context.close();
  }, 120_000);
});
