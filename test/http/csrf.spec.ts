import { MikroORM } from '@mikro-orm/core';
import { Photo } from '../../src/photos/photo.entity';
import { User } from '../../src/users/user.entity';
import { Browser, loggedInBrowser, login, STRONG_PASSWORD } from '../support/browser';
import { stateChangingRoutes } from '../support/routes';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';
import { jpeg } from '../support/images';
import { photoIds, upload } from '../support/uploads';

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
    const res = await victim.agent
      .post('/register')
      .type('form')
      .send({ _csrf: attacker.csrfToken, ...newAccount('foreign') })
      .redirects(0);
    expect(res.status).toBe(403);
    expect(await t.app.get(MikroORM).em.fork().count(User, { usernameKey: 'foreign' })).toBe(0);
  });

  it('protects login too (login CSRF)', async () => {
    await loggedInBrowser(t.app, 'loginvictim');
    const browser = new Browser(t.app);
    const res = await browser.agent.post('/login').type('form').send({ identifier: 'loginvictim', password: STRONG_PASSWORD }).redirects(0);
    expect(res.status).toBe(403);
  });

  it("changes the token at login and at logout: the other side's token is refused", async () => {
    const other = await loggedInBrowser(t.app, 'rotating');
    const browser = new Browser(t.app);
    await browser.get('/login');
    const visitorToken = browser.csrfToken!;
    expect((await login(browser, 'rotating')).status).toBe(303);
    await browser.get('/account');
    const sessionToken = browser.csrfToken!;
    expect(sessionToken).not.toBe(visitorToken);
    const signOutEverywhere = (headers: Record<string, string>, fields: Record<string, string>) =>
      browser.agent.post('/account/sign-out-everywhere').type('form').set(headers).send(fields).redirects(0);
    expect((await signOutEverywhere({}, { _csrf: visitorToken })).status).toBe(403);
    expect((await signOutEverywhere({ 'X-CSRF-Token': visitorToken }, {})).status).toBe(403);
    expect((await other.get('/')).status).toBe(200); // nobody was signed out

    expect((await browser.submit('/logout', {})).status).toBe(303);
    const afterLogout = await browser.agent
      .post('/login')
      .type('form')
      .send({ _csrf: sessionToken, identifier: 'rotating', password: STRONG_PASSWORD })
      .redirects(0);
    expect(afterLogout.status).toBe(403);
  });

  it('accepts the token in the X-CSRF-Token header, as htmx sends it', async () => {
    const browser = new Browser(t.app);
    await browser.get('/register');
    const res = await browser.agent
      .post('/register')
      .type('form')
      .set('X-CSRF-Token', browser.csrfToken!)
      .send(newAccount('viaheader'))
      .redirects(0);
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

  it('covers every state-changing route: none accepts a missing or foreign token (field or header), and nothing changes', async () => {
    const routes = stateChangingRoutes(t.app);
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(['POST /login', 'POST /register', 'POST /logout', 'POST /upload-photos', 'POST /delete-photo/:id']),
    );
    const user = await loggedInBrowser(t.app, 'inventory');
    await upload(user, [{ name: 'kept.jpg', data: await jpeg(200, 150, 77) }]);
    const photoId = photoIds((await user.get('/')).text)[0];
    const photos = () => t.app.get(MikroORM).em.fork().count(Photo);
    const photosBefore = await photos();
    const other = new Browser(t.app);
    await other.get('/login');
    await user.get('/');
    for (const route of routes) {
      // A real id of the user's own photo: a refused delete must be refused for the token, not for the id.
      const path = route.path.replace(/:(\w+)/g, photoId);
      const send = (token?: { field?: string; header?: string }) =>
        user.agent[route.method.toLowerCase() as 'post'](path)
          .type('form')
          .set(token?.header ? { 'X-CSRF-Token': token.header } : {})
          .send(token?.field ? { _csrf: token.field } : {})
          .redirects(0);
      const attempts = {
        missing: await send(),
        'foreign field': await send({ field: other.csrfToken }),
        'foreign header': await send({ header: other.csrfToken }),
      };
      for (const [attempt, res] of Object.entries(attempts)) {
        expect({ route: `${route.method} ${route.path}`, attempt, status: res.status }).toEqual({
          route: `${route.method} ${route.path}`,
          attempt,
          status: 403,
        });
      }
    }
    // The user is still logged in and still has the photo: nothing was logged out or deleted by the refused requests.
    expect((await user.get('/')).status).toBe(200);
    expect(await photos()).toBe(photosBefore);
  });
});
