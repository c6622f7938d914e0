import { copyFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Browser as Chromium, Locator, Page } from 'playwright-core';
import { Mailer } from '../../src/mail/mailer';
import { Browser as HttpClient, login as httpLogin } from '../support/browser';
import { png, jpeg } from '../support/images';
import { readOutbox } from '../support/smtp';
import { TestApp } from '../support/test-app';
import { upload } from '../support/uploads';
import { accessibilityViolations, contrastOf, launchChromium, newPage, PageProblems, screenshots, SCREENSHOTS } from './chromium';
import { startE2eApp } from './e2e-app';

const PASSWORD = 'Sunny Day!42';
const NEW_PASSWORD = 'Brand New Pass#7';

/**
 * One person's whole journey in real Chromium, in order: register, log in, upload, look, download, delete, drag and
 * drop, scroll, log out, forget the password, reset it, log in again. Each step also checks the page for console
 * errors, CSP violations, failed requests and serious accessibility problems, and takes screenshots.
 */
describe('a new user in a real browser', () => {
  let t: TestApp & { baseUrl: string };
  let chromium: Chromium;
  let page: Page;
  let problems: PageProblems;
  const url = (path: string) => t.baseUrl + path;

  beforeAll(async () => {
    t = await startE2eApp();
    chromium = await launchChromium();
    ({ page, problems } = await newPage(chromium));
  });

  afterAll(async () => {
    await chromium?.close();
    await t?.close();
  });

  afterEach(async () => {
    expect(problems.list()).toEqual([]);
  });

  async function accessible(name: string) {
    expect({ page: name, violations: await accessibilityViolations(page) }).toEqual({ page: name, violations: [] });
    await screenshots(page, name);
  }

  const cards = () => page.locator('.photo-card');

  /** Waits until the upload panel lists `count` files, none of them still waiting, uploading or processing. */
  const uploadsSettled = (count: number) =>
    page.waitForFunction(
      (n) =>
        document.querySelectorAll('.upload-row').length === n &&
        document.querySelectorAll('.upload-row:is([data-state=waiting], [data-state=uploading], [data-state=processing])').length === 0,
      count,
    );

  it('registers after fixing a password the policy refuses', async () => {
    await page.goto(url('/'));
    await expect(page.getByRole('heading', { name: 'Photosphere' }).isVisible()).resolves.toBe(true);
    await accessible('login');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    await page.getByLabel('Username', { exact: true }).fill('maria');
    await page.getByLabel('Email', { exact: true }).fill('maria@example.com');
    await page.getByLabel('Password', { exact: true }).fill('weakpass');
    await problems.during(/status of 422/, async () => {
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByText('Password must contain at least one uppercase letter.').waitFor();
    });
    await accessible('register-errors');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Registration successful. Please log in.').waitFor();
  });

  it('logs in by username and sees the empty gallery', async () => {
    await page.getByLabel('Email or username').fill('Maria');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Welcome to Photosphere, maria!').waitFor();
    expect(await page.getByText('No photos yet. Upload to get started.').isVisible()).toBe(true);
    await accessible('gallery-empty');
  });

  it('uploads three files through the picker: the panel lists them, two cards, one clear rejection', async () => {
    const files = [
      { name: 'beach.jpg', mimeType: 'image/jpeg', buffer: await jpeg(2400, 1600, 11) },
      { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('shopping list, not a picture\n') },
      { name: 'garden.png', mimeType: 'image/png', buffer: await png(1200, 900, 12) },
    ];
    await page.getByLabel(/Choose photos/).setInputFiles(files);
    await page.getByRole('region', { name: 'Uploading 3 files' }).waitFor();
    await uploadsSettled(3);
    expect(await page.locator('.upload-row', { hasText: 'notes.png' }).locator('[data-status]').textContent()).toBe(
      'Refused: notes.png is not a supported image (JPEG, PNG, WebP, GIF, HEIC, HEIF or AVIF).',
    );
    expect(await page.locator('[data-upload-summary]').textContent()).toMatch(/^3 of 3 · /);
    expect(await cards().count()).toBe(2);
    expect(await page.getByText('No photos yet.').isVisible()).toBe(false);
    await accessible('upload-panel');
    await page.getByRole('button', { name: 'Close the upload panel' }).click();
  });

  it('shows the new photos processing, then their thumbnails, without a reload', async () => {
    // The grid's one poller asks about its processing cards and swaps each in when it is ready.
    await page.waitForFunction(
      () =>
        document.querySelectorAll('.photo-card[data-photo-state="ready"]').length === 2 &&
        [...document.querySelectorAll<HTMLImageElement>('.photo-card img')].every((img) => img.complete && img.naturalWidth > 0),
    );
    await accessible('gallery');
  });

  it('opens a photo and downloads its original', async () => {
    await page.getByRole('link', { name: 'beach.jpg', exact: true }).click();
    await page.getByRole('heading', { name: 'beach.jpg' }).waitFor();
    await page.locator('.preview-img').evaluate((img: HTMLImageElement) => img.decode());
    expect(await page.getByText('2400 × 1600 px').isVisible()).toBe(true);
    await accessible('photo');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download original' }).click()]);
    expect(download.suggestedFilename()).toBe('beach.jpg');
    const saved = join(SCREENSHOTS, 'downloaded.jpg');
    await download.saveAs(saved);
    expect((await readFile(saved)).subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    await page.goto(page.url() + '/delete'); // the confirmation page people without JavaScript get
    await page.getByRole('heading', { name: 'Delete beach.jpg?' }).waitFor();
    await accessible('confirm-delete');
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.getByRole('heading', { name: 'Your photos' }).waitFor();
  });

  it('deletes a photo: the modal asks, Cancel keeps it, Delete removes the card without a page load', async () => {
    await page.evaluate(() => ((window as unknown as { marker: boolean }).marker = true));
    const card = cards().filter({ hasText: 'garden.png' });
    await card.getByRole('link', { name: 'Delete garden.png' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete garden.png?' });
    await shown(dialog);
    await accessible('delete-modal');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await cards().count()).toBe(2);

    await card.getByRole('link', { name: 'Delete garden.png' }).click();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Deleted garden.png.').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.photo-card').length === 1);
    expect(await page.evaluate(() => (window as unknown as { marker?: boolean }).marker)).toBe(true); // same page, no reload
  });

  it('works the delete modal by keyboard alone, and gives focus back to the grid', async () => {
    const trigger = page.getByRole('link', { name: 'Delete beach.jpg' });
    await trigger.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Delete beach.jpg?' });
    await shown(dialog);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Delete beach.jpg');
    await page.keyboard.press('Enter');
    await shown(dialog);
    await dialog.getByRole('button', { name: 'Delete' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('.photo-card').length === 0);
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
  });

  it('takes two files dropped onto the page', async () => {
    const files = await Promise.all([jpeg(800, 600, 21), jpeg(600, 800, 22)]);
    const dataTransfer = await page.evaluateHandle(
      (contents: number[][]) => {
        const transfer = new DataTransfer();
        contents.forEach((bytes, i) =>
          transfer.items.add(new File([new Uint8Array(bytes)], `dropped-${i + 1}.jpg`, { type: 'image/jpeg' })),
        );
        return transfer;
      },
      files.map((file) => [...file]),
    );
    const before = await cards().count();
    await page.dispatchEvent('#drop-zone', 'dragenter', { dataTransfer });
    await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer });
    await uploadsSettled(2);
    expect(await page.locator('.upload-row[data-state=done]').count()).toBe(2);
    expect(await cards().count()).toBe(before + 2);
    await page.getByRole('button', { name: 'Close the upload panel' }).click();
  });

  it('loads older photos while scrolling', async () => {
    const client = new HttpClient(t.app);
    await httpLogin(client, 'maria', PASSWORD);
    await client.get('/');
    for (let batch = 0; batch < 3; batch++) {
      const files = await Promise.all(
        Array.from({ length: 50 }, async (_, i) => ({ name: `old-${batch}-${i}.png`, data: await png(24, 24, 300 + batch * 50 + i) })),
      );
      expect((await upload(client, files)).status).toBe(303);
    }
    const total = (await cards().count()) + 150;
    await page.reload();
    expect(await cards().count()).toBe(30);
    // The plain "Older photos" link (what pages the gallery without JavaScript; below the fold, so not yet replaced by
    // the scroll) must be readable. The app has no dark mode of its own: a browser that prefers dark gets the same page.
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      expect({ colorScheme, contrast: await contrastOf(page, '.load-more a') }).toEqual({ colorScheme, contrast: 'passes' });
    }
    await page.emulateMedia({ colorScheme: null });
    for (let loaded = 30; loaded < total;) {
      await page.mouse.wheel(0, 50_000);
      await page.waitForFunction((n) => document.querySelectorAll('.photo-card').length > n, loaded);
      loaded = await cards().count();
    }
    expect(await cards().count()).toBe(total);
    expect(page.url()).toBe(url('/'));
  }, 120_000);

  it('logs out, and logs in by email', async () => {
    // Thumbnails still loading from the long scroll are refused once the session has ended: that is expected.
    await problems.during(/status of 401/, async () => {
      await page.getByRole('button', { name: 'Logout' }).click();
      await page.getByText('You have been logged out.').waitFor();
    });
    await loginWith(page, 'MARIA@example.com', PASSWORD);
    await page.getByRole('button', { name: 'Logout' }).click();
    await page.getByText('You have been logged out.').waitFor();
  });

  it('resets a forgotten password through the emailed link', async () => {
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.getByLabel('Email').fill('maria@example.com');
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.getByText('If an account exists for that email, we have sent a link to reset its password.').waitFor();
    await accessible('forgot-password');
    await t.app.get(Mailer).idle(); // the link is issued and mailed after the answer
    const mail = (await readOutbox(t.config.mail.outboxDir)).find((m) => m.subject === 'Reset your Photosphere password')!;
    const link = new RegExp(`${t.baseUrl}/reset-password/[A-Za-z0-9_-]{43}`).exec(mail.text)![0];
    await page.goto(link);
    expect(page.url()).toBe(url('/reset-password'));
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('New password, again').fill('Not The Same#1');
    await problems.during(/status of 422/, async () => {
      await page.getByRole('button', { name: 'Set new password' }).click();
      await page.getByText('The two passwords do not match.').waitFor();
    });
    await accessible('reset-password');
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('New password, again').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.getByText('Your password has been reset. Please log in.').waitFor();
    await loginWith(page, 'maria', NEW_PASSWORD);
    expect(await cards().count()).toBe(30);
  });

  it("shows a second user none of the first user's photos", async () => {
    const second = await newPage(chromium);
    await register(second.page, url, 'pedro');
    await loginWith(second.page, 'pedro', PASSWORD, 'Welcome to Photosphere, pedro!');
    expect(await second.page.locator('.photo-card').count()).toBe(0);
    const someId = await page.locator('.photo-card').first().getAttribute('data-photo-id');
    const response = await second.problems.during(/status of 404/, () => second.page.goto(url(`/photos/${someId}`)));
    expect(response!.status()).toBe(404);
    expect(await second.page.getByText('We could not find that photo.').isVisible()).toBe(true);
    await screenshots(second.page, 'not-found');
    expect(second.problems.list()).toEqual([]);
    await second.context.close();
  });

  it('keeps the chosen screenshots current', () => {
    for (const [shot, committed] of [
      ['gallery-desktop', 'gallery'],
      ['login-desktop', 'login'],
      ['register-errors-desktop', 'register-errors'],
    ]) {
      if (process.env.UPDATE_SCREENSHOTS)
        copyFileSync(join(SCREENSHOTS, `${shot}.png`), join(__dirname, '..', '..', 'docs', 'screenshots', `${committed}.png`));
    }
  });
});

describe('the same flow with JavaScript off', () => {
  let t: TestApp & { baseUrl: string };
  let chromium: Chromium;

  beforeAll(async () => {
    t = await startE2eApp();
    chromium = await launchChromium();
  });

  afterAll(async () => {
    await chromium?.close();
    await t?.close();
  });

  it('registers, logs in, uploads, opens, deletes after confirming, and logs out with plain forms', async () => {
    const { page, problems, context } = await newPage(chromium, { javaScriptEnabled: false });
    const url = (path: string) => t.baseUrl + path;
    await register(page, url, 'nojs');
    await loginWith(page, 'nojs', PASSWORD, 'Welcome to Photosphere, nojs!');
    await page.getByLabel(/Choose photos/).setInputFiles([
      { name: 'plain.jpg', mimeType: 'image/jpeg', buffer: await jpeg(640, 480, 31) },
      { name: 'readme.png', mimeType: 'image/png', buffer: Buffer.from('text') },
    ]);
    await page.getByRole('button', { name: 'Upload' }).click();
    await page
      .getByText('1 photo uploaded. 1 skipped: readme.png is not a supported image (JPEG, PNG, WebP, GIF, HEIC, HEIF or AVIF).')
      .waitFor();
    // Without JavaScript the card says "Processing…" until a reload finds the photo ready.
    const link = page.getByRole('link', { name: 'plain.jpg', exact: true });
    while ((await link.count()) === 0) {
      expect(await page.locator('.photo-card').getAttribute('data-photo-state')).toBe('processing');
      await page.reload();
    }
    await link.click();
    await page.getByRole('heading', { name: 'plain.jpg' }).waitFor();
    await page.getByRole('link', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'Delete plain.jpg?' }).waitFor();
    await screenshots(page, 'confirm-delete-nojs');
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Deleted plain.jpg.').waitFor();
    expect(await page.getByText('No photos yet. Upload to get started.').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Logout' }).click();
    await page.getByText('You have been logged out.').waitFor();
    expect(problems.list()).toEqual([]);
    await context.close();
  }, 60_000);
});

/** Waits until the Bootstrap modal has finished fading in (axe measures contrast on what is painted). */
async function shown(dialog: Locator) {
  await dialog.waitFor();
  await dialog.page().waitForFunction(() => {
    const modal = document.getElementById('delete-modal')!;
    return (
      modal.classList.contains('show') &&
      getComputedStyle(modal).opacity === '1' &&
      getComputedStyle(modal.querySelector('.modal-dialog')!).transform === 'none'
    );
  });
}

async function register(page: Page, url: (path: string) => string, username: string) {
  await page.goto(url('/register'));
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Email', { exact: true }).fill(`${username}@example.com`);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('Registration successful. Please log in.').waitFor();
}

async function loginWith(page: Page, identifier: string, password: string, greeting = 'Welcome back!') {
  await page.getByLabel('Email or username').fill(identifier);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByText(greeting).waitFor();
}
