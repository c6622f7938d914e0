import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, BrowserContext, BrowserContextOptions, chromium, Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(tmpdir(), 'photosphere-screenshots');
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** Debian's Chromium, headless, with no network of its own. A missing browser fails the suite: it never skips. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: install it with "apt-get install -y chromium".`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Everything that went wrong in the page: console errors, CSP violations, failed requests and HTTP errors — except
 * the ones a test expects while one step runs (`during(/pattern/, step)`).
 */
export class PageProblems {
  private readonly problems: string[] = [];
  private readonly expected: RegExp[] = [];

  constructor(page: Page) {
    page.on('console', (message) => {
      if (message.type() === 'error') this.add(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => this.add(`page error: ${error.message}`));
    page.on('requestfailed', (request) => {
      if (!/ERR_ABORTED/.test(request.failure()?.errorText ?? ''))
        this.add(`request failed: ${request.url()} ${request.failure()?.errorText}`);
    });
    void page.addInitScript(() =>
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`)),
    );
  }

  /** Runs one step that deliberately causes problems matching `pattern`; they are not counted. */
  async during<T>(pattern: RegExp, step: () => Promise<T>): Promise<T> {
    this.expected.push(pattern);
    try {
      return await step();
    } finally {
      this.expected.splice(this.expected.indexOf(pattern), 1);
    }
  }

  list(): string[] {
    return this.problems;
  }

  private add(problem: string): void {
    if (!this.expected.some((pattern) => pattern.test(problem))) this.problems.push(problem);
  }
}

export async function newPage(
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }> {
  const context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true, ...options });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  return { context, page, problems: new PageProblems(page) };
}

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now (run through DevTools, outside the CSP). */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await (
      window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }
    ).axe.run();
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  return violations;
}

/**
 * What axe-core's colour-contrast rule says about the element at `selector`: 'passes', 'violations' or 'incomplete'
 * (axe could not tell), or 'not checked' when the rule did not look at it (e.g. it is not visible).
 */
export async function contrastOf(page: Page, selector: string): Promise<string> {
  await page.evaluate(AXE);
  return page.evaluate(async (target) => {
    type Outcome = { nodes: unknown[] }[];
    const axe = (
      window as unknown as {
        axe: { run(context: string, options: object): Promise<Record<'passes' | 'violations' | 'incomplete', Outcome>> };
      }
    ).axe;
    const result = await axe.run(target, { runOnly: { type: 'rule', values: ['color-contrast'] } });
    const outcomes = (['violations', 'incomplete', 'passes'] as const).filter((outcome) =>
      result[outcome].some((rule) => rule.nodes.length > 0),
    );
    return outcomes[0] ?? 'not checked';
  }, selector);
}

/** A screenshot of the page at desktop and phone size, into the screenshots folder. */
export async function screenshots(page: Page, name: string): Promise<void> {
  const size = page.viewportSize() ?? DESKTOP;
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(size);
}
