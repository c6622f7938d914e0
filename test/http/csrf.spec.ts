import { MikroORM } from '@mikro-orm/core';
import { User } from '../../src/users/user.entity';
import { Browser, loggedInBrowser, STRONG_PASSWORD } from '../support/browser';
import { stateChangingRoutes } from '../support/routes';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';

const REFUSED = 'This form has expired or did not come from Photosphere. Reload the page and try again.';

describe.each(backends())('CSRF protection [%s]', (backend) => {
  let t: TestApp;
  const userCount = () => t.app.get(MikroORM).em.fork().count(User);

  beforeAll(async () => {
    t = await createTestApp(backend);
  });

  afterAll(async () => {
    await t?.close();
  });

  const newAccount = (name: string) => ({ username: name, email: `${name}@example.com`, password: STRONG_PASSWORD });

  it('refuses a state change without a token with 403, a clear page, and no change', async () => {
    const browser = new Browser(t.app);
    await browser.get('/register');
    const before = await userCount();
    const res = await browser.agent.post('/register').type('form').send(newAccount('nocsrf')).redirects(0);
    expect(res.status).toBe(403);
    expect(res.text).toContain(REFUSED);
    expect(await userCount()).toBe(before);
  });

  it("refuses another session's token", async () => {
    const attacker = new Browser(t.app);
    await attacker.get('/register');
    const victim = new Browser(t.app);
    await victim.get('/register');
    const res = await victim.agent.post('/register').type('form').send({ _csrf: attacker.csrfToken, ...newAccount('foreign') }).redirects(0);
    expect(res.status).toBe(403);
    expect(await t.app.get(MikroORM).em.fork().count(User, { usernameKey: 'foreign' })).toBe(0);
  });

  it('protects login too (login CSRF)', async () => {
    await loggedInBrowser(t.app, 'loginvictim');
    const browser = new Browser(t.app);
    const res = await browser.agent.post('/login').type('form').send({ identifier: 'loginvictim', password: STRONG_PASSWORD }).redirects(0);
    expect(res.status).toBe(403);
  });

  it('accepts the token in the X-CSRF-Token header, as htmx sends it', async () => {
    const browser = new Browser(t.app);
    await browser.get('/register');
    const res = await browser.agent.post('/register').type('form').set('X-CSRF-Token', browser.csrfToken!).send(newAccount('viaheader')).redirects(0);
    expect(res.status).toBe(303);
  });

  it('refuses a cross-site Origin or Sec-Fetch-Site even with a valid token', async () => {
    const browser = new Browser(t.app);
    const crossSite: Record<string, string>[] = [{ Origin: 'https://evil.example' }, { 'Sec-Fetch-Site': 'cross-site' }];
    for (const headers of crossSite) {
      const res = await browser.submit('/register', newAccount('crosssite'), { from: '/register', headers });
      expect(res.status).toBe(403);
      expect(res.text).toContain('Requests from other sites are not allowed.');
    }
    expect(await t.app.get(MikroORM).em.fork().count(User, { usernameKey: 'crosssite' })).toBe(0);
  });

  it('accepts a same-origin Origin header (the configured BASE_URL or the host itself)', async () => {
    const browser = new Browser(t.app);
    const base = await browser.submit('/register', newAccount('sameorigin1'), { from: '/register', headers: { Origin: t.config.baseUrl } });
    expect(base.status).toBe(303);
    await browser.get('/register');
    const self = await browser.agent
      .post('/register')
      .type('form')
      .set({ Origin: 'http://photos.lan:3000', Host: 'photos.lan:3000', 'Sec-Fetch-Site': 'same-origin' })
      .send({ _csrf: browser.csrfToken, ...newAccount('sameorigin2') })
      .redirects(0);
    expect(self.status).toBe(303);
  });

  it('accepts "Origin: null", which browsers send under Referrer-Policy: no-referrer, when the site is the same', async () => {
    const browser = new Browser(t.app);
    const headers = { Origin: 'null', 'Sec-Fetch-Site': 'same-origin' };
    expect((await browser.submit('/register', newAccount('nullorigin'), { from: '/register', headers })).status).toBe(303);
    const crossSite = { Origin: 'null', 'Sec-Fetch-Site': 'cross-site' };
    expect((await browser.submit('/register', newAccount('nullorigin2'), { from: '/register', headers: crossSite })).status).toBe(403);
  });

  it('covers every state-changing route: none accepts a missing or foreign token', async () => {
    const routes = stateChangingRoutes(t.app);
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(['POST /login', 'POST /register', 'POST /logout']));
    const user = await loggedInBrowser(t.app, 'inventory');
    const other = new Browser(t.app);
    await other.get('/login');
    await user.get('/');
    for (const route of routes) {
      const path = route.path.replace(/:(\w+)/g, '00000000-0000-4000-8000-000000000000');
      const send = (token?: string) =>
        user.agent[route.method.toLowerCase() as 'post'](path).type('form').send(token ? { _csrf: token } : {}).redirects(0);
      expect({ route: `${route.method} ${route.path}`, status: (await send()).status }).toEqual({ route: `${route.method} ${route.path}`, status: 403 });
      expect({ route: `${route.method} ${route.path}`, status: (await send(other.csrfToken)).status }).toEqual({ route: `${route.method} ${route.path}`, status: 403 });
    }
    // The user is still logged in: nothing was logged out by the refused requests.
    expect((await user.get('/')).status).toBe(200);
  });
});
