import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { Browser as Chromium, BrowserContext, Page } from 'playwright-core';
import { jpeg } from '../support/images';
import { TestApp } from '../support/test-app';
import { accessibilityViolations, launchChromium, newPage, PageProblems, PHONE, screenshots, SCREENSHOTS } from './chromium';
import { startE2eApp } from './e2e-app';

const PASSWORD = 'Sunny Day!42';

/**
 * A new admin on a fresh instance, in real Chromium: registers first (and is told it becomes admin), makes
 * registration invite-only, invites a second person, sets their quota, watches their usage, and disables them.
 * Every page is checked for console errors, CSP violations, failed requests, serious accessibility problems, and for
 * fitting a phone's width.
 */
describe('a new admin in a real browser', () => {
  let t: TestApp & { baseUrl: string };
  let chromium: Chromium;
  let admin: { page: Page; problems: PageProblems };
  let guest: { context: BrowserContext; page: Page; problems: PageProblems };
  let invitation: string;
  const url = (path: string) => t.baseUrl + path;

  beforeAll(async () => {
    t = await startE2eApp();
    chromium = await launchChromium();
    admin = await newPage(chromium);
    guest = await newPage(chromium);
  });

  afterAll(async () => {
    await chromium?.close();
    await t?.close();
  });

  afterEach(async () => {
    expect([...admin.problems.list(), ...guest.problems.list()]).toEqual([]);
  });

  /** axe finds nothing serious, the page fits a phone without sideways scrolling, and screenshots are taken. */
  async function checked(page: Page, name: string) {
    expect({ page: name, violations: await accessibilityViolations(page) }).toEqual({ page: name, violations: [] });
    const size = page.viewportSize()!;
    await page.setViewportSize(PHONE);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect({ page: name, phoneOverflow: overflow }).toEqual({ page: name, phoneOverflow: 0 });
    expect({ page: name, violations: await accessibilityViolations(page) }).toEqual({ page: name, violations: [] });
    await page.setViewportSize(size);
    await screenshots(page, name);
  }

  it('registers first on the empty instance, told that the account becomes the administrator', async () => {
    const { page } = admin;
    await page.goto(url('/register'));
    await page.getByText('This Photosphere has no accounts yet.').waitFor();
    await checked(page, 'register-first-admin');
    await page.getByLabel('Username', { exact: true }).fill('ada');
    await page.getByLabel('Email', { exact: true }).fill('ada@example.com');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Registration successful. Please log in.').waitFor();
    await page.getByLabel('Email or username').fill('ada');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Welcome to Photosphere, ada!').waitFor();
  });

  it('finds the admin area in the navbar, with herself in the users table', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    const row = page.getByRole('row', { name: /ada/ });
    expect(await row.textContent()).toMatch(/ada\s+(ada@example\.com\s+)+Admin/);
    await checked(page, 'admin-users');
  });

  it('makes registration invite-only and creates an invitation link', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel(/Invite only/).check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Registration is now by invitation only.').waitFor();
    await page.getByLabel('Link works for').selectOption('7');
    await page.getByRole('button', { name: 'Create invitation link' }).click();
    invitation = await page.getByLabel('Invitation link', { exact: true }).inputValue();
    await page.getByRole('button', { name: 'Copy' }).click(); // no console error, whether or not the clipboard is allowed
    expect(invitation).toMatch(new RegExp(`^${t.baseUrl}/invite/[A-Za-z0-9_-]{43}$`));
    await checked(page, 'admin-settings');
  });

  it('lets the invited person register with the link, and nobody without one', async () => {
    const { page } = guest;
    await page.goto(url('/register'));
    await page.getByText('Registration is by invitation only.').waitFor();
    await page.goto(invitation);
    await page.getByText('You have been invited.').waitFor();
    expect(page.url()).toBe(url('/register'));
    await page.getByLabel('Username', { exact: true }).fill('ben');
    await page.getByLabel('Email', { exact: true }).fill('ben@example.com');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Registration successful. Please log in.').waitFor();
    await page.getByLabel('Email or username').fill('ben');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Welcome to Photosphere, ben!').waitFor();
    expect(await page.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await page
      .getByLabel(/Choose photos/)
      .setInputFiles([{ name: 'harbour.jpg', mimeType: 'image/jpeg', buffer: await jpeg(1600, 1200, 31) }]);
    await page.locator('.upload-row[data-state=done]', { hasText: 'harbour.jpg' }).waitFor(); // the upload panel
    await page.getByText(/Storage: [\d.]+ KB used \(no limit\)/).waitFor();
  });

  it('finds the new person by searching, sets their quota and watches their usage', async () => {
    const { page } = admin;
    await page.goto(url('/admin/settings'));
    await page.getByText('Used by ben').waitFor();
    await page.getByRole('link', { name: 'Users' }).click();
    await page.evaluate(() => ((window as unknown as { marker: boolean }).marker = true));
    await page.getByLabel('Search by username or email').fill('ben');
    await page.getByText('1 account matching “ben”').waitFor();
    expect(page.url()).toBe(url('/admin/users?q=ben'));
    expect(await page.evaluate(() => (window as unknown as { marker?: boolean }).marker)).toBe(true); // swapped, not reloaded
    await page.getByRole('link', { name: 'ben' }).click();
    await page.getByRole('heading', { name: /^ben/ }).waitFor();
    await page.getByLabel('Quota in MB').fill('2');
    await page.getByRole('button', { name: 'Save quota' }).click();
    await page.getByText("ben's storage quota is now 2.0 MB.").waitFor();
    await page.getByText(/^[\d.]+ KB of 2\.0 MB used/).waitFor();
    await checked(page, 'admin-user');

    await guest.page.goto(url('/'));
    await guest.page.getByText(/Storage: [\d.]+ KB of 2\.0 MB used/).waitFor();
    await guest.page.goto(url('/account'));
    await guest.page.getByRole('heading', { name: 'My account', exact: true }).waitFor();
    await checked(guest.page, 'account');
  });

  it('asks in a modal before someone deletes their own account', async () => {
    const { page } = guest;
    await page.getByLabel('Current password').last().fill(PASSWORD);
    await page.getByRole('button', { name: 'Delete my account' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete your account?' });
    await dialog.waitFor();
    await page.waitForFunction(() => getComputedStyle(document.getElementById('delete-account-modal')!).opacity === '1');
    expect({ violations: await accessibilityViolations(page) }).toEqual({ violations: [] });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(page.url()).toBe(url('/account'));
  });

  it('disables the person: their open page is logged out and they cannot log in again', async () => {
    const { page } = admin;
    await page.getByRole('button', { name: 'Disable account' }).click();
    await page.getByText('ben is disabled and has been signed out everywhere.').waitFor();
    expect(await page.getByText('Disabled').first().isVisible()).toBe(true);

    await guest.page.goto(url('/'));
    await guest.page.getByRole('button', { name: 'Log in' }).waitFor();
    await guest.page.getByLabel('Email or username').fill('ben');
    await guest.page.getByLabel('Password').fill(PASSWORD);
    await guest.problems.during(/status of 401/, async () => {
      await guest.page.getByRole('button', { name: 'Log in' }).click();
      await guest.page.getByText('This account has been disabled.').waitFor();
    });
  });

  it('is a plain 404 for anyone who is not an admin', async () => {
    await guest.problems.during(/status of 404/, async () => {
      const res = await guest.page.goto(url('/admin/users'));
      expect(res?.status()).toBe(404);
    });
  });

  it('keeps the chosen screenshots current', () => {
    for (const [shot, committed] of [
      ['admin-user-desktop', 'admin-user'],
      ['admin-settings-desktop', 'admin-settings'],
      ['account-phone', 'phone-account'],
    ]) {
      if (process.env.UPDATE_SCREENSHOTS)
        copyFileSync(join(SCREENSHOTS, `${shot}.png`), join(__dirname, '..', '..', 'docs', 'screenshots', `${committed}.png`));
    }
  });
});
