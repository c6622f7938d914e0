import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';

const CSRF_META = /<meta name="csrf-token" content="([^"]+)">/;
let nextClient = 1;

/**
 * A person's browser, as supertest sees it: keeps cookies, reads the CSRF token from the last page it loaded and
 * sends it with forms, the way the rendered forms do.
 */
export class Browser {
  readonly agent: ReturnType<typeof request.agent>;
  csrfToken?: string;

  /** Each browser is its own client: a distinct address, as seen through the (trusted, loopback) test proxy. */
  readonly ip = `10.${(nextClient >> 16) & 255}.${(nextClient >> 8) & 255}.${nextClient++ & 255}`;

  /** The app in this process, or the address of one running in another (http://127.0.0.1:<port>). */
  constructor(app: NestExpressApplication | string) {
    this.agent = request.agent(typeof app === 'string' ? app : app.getHttpServer()).set('X-Forwarded-For', this.ip);
  }

  async get(path: string, headers: Record<string, string> = {}) {
    const res = await this.agent.get(path).set(headers).redirects(0);
    const token = CSRF_META.exec(res.text ?? '')?.[1];
    if (token) this.csrfToken = token;
    return res;
  }

  /** Submits a form as the page at `from` would: with that page's CSRF token unless `_csrf` is given. */
  async submit(path: string, fields: Record<string, string>, options: { from?: string; headers?: Record<string, string> } = {}) {
    if (options.from) await this.get(options.from);
    return this.agent
      .post(path)
      .type('form')
      .set(options.headers ?? {})
      .redirects(0)
      .send({ _csrf: this.csrfToken ?? '', ...fields });
  }

  /** Takes over another browser's session (its `name=value` cookie), as if the cookie were copied across. */
  useSession(cookie: string): void {
    this.setCookie(cookie);
  }

  /** Stores a `name=value` cookie, as if the server had set it. */
  setCookie(cookie: string): void {
    this.jar.setCookie(cookie, '127.0.0.1', '/');
  }

  /** The session cookie this browser holds (name=value), or undefined. */
  sessionCookie(): string | undefined {
    return this.cookie((name) => /^(__Host-)?photosphere$/.test(name));
  }

  /** The first cookie (name=value) whose name matches, or undefined. */
  cookie(named: (name: string) => boolean): string | undefined {
    const cookie = this.jar.getCookies({ domain: '127.0.0.1', path: '/', secure: false, script: false }).find((c) => named(c.name));
    return cookie ? `${cookie.name}=${cookie.value}` : undefined;
  }

  private get jar() {
    return (this.agent as unknown as { jar: CookieJar }).jar;
  }
}

interface CookieJar {
  setCookie(cookie: string, domain: string, path: string): void;
  getCookies(options: object): { name: string; value: string }[];
}

export const STRONG_PASSWORD = 'Sunny Day!42';

export async function register(browser: Browser, fields: { username: string; email: string; password?: string }) {
  return browser.submit('/register', { password: STRONG_PASSWORD, ...fields }, { from: '/register' });
}

export async function login(browser: Browser, identifier: string, password = STRONG_PASSWORD) {
  return browser.submit('/login', { identifier, password }, { from: '/login' });
}

/** Registers and logs in a new user; returns the logged-in browser, on its first page. */
export async function loggedInBrowser(app: NestExpressApplication | string, username: string): Promise<Browser> {
  const browser = new Browser(app);
  const registered = await register(browser, { username, email: `${username}@example.com` });
  if (registered.status !== 303) throw new Error(`register ${username} failed: ${registered.status}`);
  const loggedIn = await login(browser, username);
  if (loggedIn.status !== 303) throw new Error(`login ${username} failed: ${loggedIn.status}`);
  await browser.get('/'); // the new session's CSRF token (and the welcome flash, shown once)
  return browser;
}
