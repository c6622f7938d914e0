import { Controller, Get, Module } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import request from 'supertest';
import { Public } from '../../src/common/http/public.decorator';
import { Browser, loggedInBrowser } from '../support/browser';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';

@Controller()
class FailingController {
  @Public()
  @Get('test-failure')
  fail() {
    throw new Error("ER_PARSE_ERROR near 'SELECT password_hash FROM users' at /srv/photosphere/dist/src/secret.js:42");
  }
}

@Module({ controllers: [FailingController] })
class FailingModule {}

describe.each(backends())('pages, errors and headers [%s]', (backend) => {
  let t: TestApp;
  let get: (path: string) => request.Test;

  beforeAll(async () => {
    t = await createTestApp(backend, { imports: [FailingModule] });
    get = (path) => request(t.app.getHttpServer()).get(path).redirects(0);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('compiles each template once, not only in production', () => {
    expect(t.app.getHttpAdapter().getInstance().get('view cache')).toBe(true);
  });

  const kinds: [string, string, number][] = [
    ['a page', '/login', 200],
    ['a redirect', '/', 302],
    ['a 404 page', '/no-such-page', 404],
    ['a 500 page', '/test-failure', 500],
    ['a static file', '/css/app.css', 200],
    ['a vendor file', '/vendor/htmx/htmx.min.js', 200],
    ['the health check', '/healthz', 200],
  ];

  it.each(kinds)('sends the security headers on %s', async (_kind, path, status) => {
    const res = await get(path);
    expect(res.status).toBe(status);
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('renders errors as pages in the layout without stack, SQL or paths', async () => {
    const res = await get('/test-failure');
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('Something went wrong on our side. Please try again in a moment.');
    expect(res.text).toContain('<nav');
    expect(res.text).not.toMatch(/ER_PARSE|SELECT|password_hash|\/srv\/|secret\.js|at \w+ \(/);
  });

  it('renders a friendly 404 that does not echo the path', async () => {
    const res = await get('/no-such-page/<script>');
    expect(res.status).toBe(404);
    expect(res.text).toContain('We could not find that page.');
    expect(res.text).not.toContain('<script>');
  });

  it('answers htmx errors with a toast retargeted into #toasts', async () => {
    const browser = await loggedInBrowser(t.app, 'toaster');
    const res = await browser.agent.get('/no-such-page').set('HX-Request', 'true').redirects(0);
    expect(res.status).toBe(404);
    expect(res.headers['hx-retarget']).toBe('#toasts');
    expect(res.headers['hx-reswap']).toBe('beforeend');
    expect(res.text).toMatch(/^<div class="toast/);
    expect(res.text).not.toContain('<html');
  });

  it('requires a login for everything not marked public', async () => {
    const page = await get('/');
    expect(page.status).toBe(302);
    expect(page.headers.location).toBe('/login');
    const htmx = await get('/').set('HX-Request', 'true');
    expect(htmx.status).toBe(401);
    expect(htmx.headers['hx-redirect']).toBe('/login');
  });

  it('sends logged-in users away from the login and register pages', async () => {
    const browser = await loggedInBrowser(t.app, 'already');
    for (const path of ['/login', '/register']) {
      const res = await browser.get(path);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/');
    }
  });

  it('serves Bootstrap, Bootstrap Icons and htmx itself (no CDN)', async () => {
    const page = await get('/login');
    const assets = [...page.text.matchAll(/(?:href|src)="(\/[^"]+\.(?:css|js|svg))"/g)].map((m) => m[1]);
    expect(assets).toEqual(expect.arrayContaining(['/vendor/bootstrap/css/bootstrap.min.css', '/vendor/htmx/htmx.min.js', '/js/app.js']));
    for (const asset of [...assets, '/vendor/bootstrap-icons/fonts/bootstrap-icons.woff2']) {
      expect({ asset, status: (await get(asset)).status }).toEqual({ asset, status: 200 });
    }
    expect(page.text).not.toMatch(/https?:\/\/(cdn|unpkg|fonts)\./);
  });

  it('configures htmx for the strict CSP and sends Vary on htmx headers', async () => {
    const res = await get('/login');
    const config = JSON.parse(/<meta name="htmx-config" content='([^']+)'>/.exec(res.text)![1]);
    expect(config).toMatchObject({
      allowEval: false,
      allowScriptTags: false,
      includeIndicatorStyles: false,
      historyCacheSize: 0,
      selfRequestsOnly: true,
      attributesToSettle: ['class', 'width', 'height'],
    });
    expect(res.headers.vary).toMatch(/HX-Request/);
  });

  it('refuses an oversized form body with 413 and a page', async () => {
    const browser = new Browser(t.app);
    await browser.get('/login');
    const res = await browser.agent
      .post('/login')
      .type('form')
      .send({ _csrf: browser.csrfToken, identifier: 'x', password: 'A!'.repeat(512 * 1024) })
      .redirects(0);
    expect(res.status).toBe(413);
    expect(res.text).toContain('That request is too large.');
  });

  it('does not answer TRACE', async () => {
    const res = await request(t.app.getHttpServer()).trace('/');
    expect([404, 405]).toContain(res.status);
  });

  it('reports health as JSON, and 503 when the database is gone', async () => {
    const ok = await get('/healthz');
    expect(ok.body).toEqual({ status: 'ok', db: 'up' });
    const instance = await t.restart();
    await instance.get(MikroORM).close(true);
    const down = await request(instance.getHttpServer()).get('/healthz');
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ status: 'error', db: 'down' });
  });
});
