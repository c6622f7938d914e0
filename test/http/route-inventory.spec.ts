import { MikroORM } from '@mikro-orm/core';
import { Photo } from '../../src/photos/photo.entity';
import { Browser, loggedInBrowser } from '../support/browser';
import { jpeg } from '../support/images';
import { routesOf } from '../support/routes';
import { photosProcessed } from '../support/processing';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';
import { photoIds, upload } from '../support/uploads';

/** Routes anyone may call. Every other route must send a visitor without a session to the login page. */
const PUBLIC_ROUTES = [
  'GET /login',
  'POST /login',
  'GET /csrf-token',
  'GET /register',
  'POST /register',
  'GET /forgot-password',
  'POST /forgot-password',
  'GET /reset-password/:token',
  'GET /reset-password',
  'POST /reset-password',
  'GET /healthz',
  'GET /healthz/live',
  'GET /healthz/ready',
  'GET /invite/:token',
];

/** Parameterised routes that are not photo routes, and why they need no owner / other-user check. */
const OTHER_PARAMETERISED_ROUTES: Record<string, string> = {
  'GET /reset-password/:token': 'public; the token is the credential (tested in password-reset.spec.ts)',
  'GET /invite/:token': 'public; the token is the credential (tested in registration.spec.ts)',
  'HEAD /uploads/:id': "an upload, not a photo: another user's is a 404 (tested in tus-uploads.spec.ts)",
  'PATCH /uploads/:id': "an upload, not a photo: another user's is a 404 (tested in tus-uploads.spec.ts)",
  'DELETE /uploads/:id': "an upload, not a photo: another user's is a 404 (tested in tus-uploads.spec.ts)",
};

/** The tus endpoint answers a visitor without a session with 401 and no redirect: the upload panel shows its login form. */
const isTusRoute = (path: string) => /^\/uploads(\/|$)/.test(path);

/** The admin area: it does not exist (404) for anyone but an admin; admin.spec.ts checks every route with real ids. */
const isAdminRoute = (path: string) => /^\/admin(\/|$)/.test(path);

/** Where a visitor without a session is sent: the login page, and back to the page afterwards (GET only). */
const loginFor = (method: string, path: string) =>
  method === 'GET' && path !== '/' ? `/login?next=${encodeURIComponent(path)}` : '/login';

const isPhotoRoute = (path: string) => /^\/(photos|delete-photo)\/:id(\/|$)/.test(path);
const IMAGE_ROUTE = /\/(original|thumbnail|preview)$/;

describe.each(backends())('route inventory [%s]', (backend) => {
  let t: TestApp;
  let owner: Browser;
  let stranger: Browser;
  let photoId: string;

  const routes = () => routesOf(t.app).map((r) => ({ ...r, name: `${r.method} ${r.path}` }));
  const photoRoutes = () => routes().filter((r) => isPhotoRoute(r.path));

  beforeAll(async () => {
    t = await createTestApp(backend);
    owner = await loggedInBrowser(t.app, 'owner');
    stranger = await loggedInBrowser(t.app, 'stranger');
    await upload(owner, [{ name: 'mine.jpg', data: await jpeg(320, 240, 4242) }]);
    await photosProcessed(t.app);
    photoId = photoIds((await owner.get('/')).text)[0];
  });

  afterAll(async () => {
    await t?.close();
  });

  it('knows every route: each is public by name, or needs a login; each parameterised one is checked below', async () => {
    const names = routes().map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining([...PUBLIC_ROUTES, 'GET /photos/:id', 'POST /delete-photo/:id', 'POST /upload-photos']));
    for (const route of routes()) {
      if (!route.path.includes(':')) continue;
      const checked = isPhotoRoute(route.path) || isAdminRoute(route.path) || route.name in OTHER_PARAMETERISED_ROUTES;
      expect({ route: route.name, checked }).toEqual({ route: route.name, checked: true });
    }
    for (const route of routes().filter((r) => !PUBLIC_ROUTES.includes(r.name) && !isAdminRoute(r.path))) {
      const path = route.path.replace(':id', photoId);
      const res = await new Browser(t.app).agent[route.method.toLowerCase() as 'get' | 'post'](path).redirects(0);
      expect({ route: route.name, status: res.status, location: res.headers.location }).toEqual({
        route: route.name,
        status: isTusRoute(route.path) ? 401 : 302,
        location: isTusRoute(route.path) ? undefined : loginFor(route.method, path),
      });
    }
  });

  it('the admin area is a 404 for visitors and for users who are not admins', async () => {
    const adminRoutes = routes().filter((r) => isAdminRoute(r.path));
    expect(adminRoutes.length).toBeGreaterThanOrEqual(10);
    for (const route of adminRoutes) {
      const path = route.path.replace(':id', photoId);
      for (const [who, browser] of [
        ['visitor', new Browser(t.app)],
        ['user', stranger],
      ] as const) {
        if (route.method !== 'GET') await browser.get('/login');
        const res =
          route.method === 'GET'
            ? await browser.agent.get(path).redirects(0)
            : await browser.agent.post(path).type('form').send({ _csrf: browser.csrfToken }).redirects(0);
        expect({ route: route.name, who, status: res.status }).toEqual({ route: route.name, who, status: 404 });
      }
    }
  });

  describe('every photo route (from the router) answers owner, other user and anonymous correctly', () => {
    it('the owner gets the page, the image, or (delete) the deed done', async () => {
      expect(photoRoutes().length).toBeGreaterThanOrEqual(6);
      for (const route of photoRoutes().filter((r) => r.method === 'GET')) {
        const res = await owner.agent.get(route.path.replace(':id', photoId)).redirects(0);
        const type = IMAGE_ROUTE.test(route.path) ? /^image\/(jpeg|webp)$/ : /^text\/html/;
        expect({ route: route.name, status: res.status, type: type.test(res.headers['content-type']) }).toEqual({
          route: route.name,
          status: 200,
          type: true,
        });
      }
      const doomed = (await t.app.get(MikroORM).em.fork().count(Photo)) + 1;
      await upload(owner, [{ name: 'doomed.jpg', data: await jpeg(320, 240, 4343) }]);
      const doomedId = photoIds((await owner.get('/')).text).find((id) => id !== photoId)!;
      expect(await t.app.get(MikroORM).em.fork().count(Photo)).toBe(doomed);
      for (const route of photoRoutes().filter((r) => r.method !== 'GET')) {
        await owner.get('/');
        const res = await owner.agent.post(route.path.replace(':id', doomedId)).type('form').send({ _csrf: owner.csrfToken }).redirects(0);
        expect({ route: route.name, status: res.status }).toEqual({ route: route.name, status: 303 });
      }
      expect(await t.app.get(MikroORM).em.fork().count(Photo, { id: doomedId })).toBe(0);
    });

    it('another user gets the same 404 as for a photo that does not exist, and changes nothing', async () => {
      const missing = '00000000-0000-4000-8000-000000000000';
      for (const route of photoRoutes()) {
        for (const id of [photoId, missing]) {
          await stranger.get('/');
          const path = route.path.replace(':id', id);
          const res =
            route.method === 'GET'
              ? await stranger.agent.get(path).redirects(0)
              : await stranger.agent.post(path).type('form').send({ _csrf: stranger.csrfToken }).redirects(0);
          expect({ route: route.name, id, status: res.status }).toEqual({ route: route.name, id, status: 404 });
          expect(res.text).toContain('We could not find that photo. It may have been deleted.');
        }
      }
      expect(await t.app.get(MikroORM).em.fork().count(Photo, { id: photoId })).toBe(1);
    });

    it('anonymous: pages go to /login (and back), images and htmx requests get 401', async () => {
      for (const route of photoRoutes()) {
        const path = route.path.replace(':id', photoId);
        const call = (headers: Record<string, string>) =>
          new Browser(t.app).agent[route.method.toLowerCase() as 'get' | 'post'](path).set(headers).redirects(0);
        const page = await call({ 'Sec-Fetch-Dest': 'document' });
        expect({ route: route.name, status: page.status, location: page.headers.location }).toEqual({
          route: route.name,
          status: 302,
          location: loginFor(route.method, path),
        });
        const image = await call({ 'Sec-Fetch-Dest': 'image' });
        expect({ route: route.name, status: image.status, body: image.text }).toEqual({ route: route.name, status: 401, body: '' });
        const htmx = await call({ 'HX-Request': 'true' });
        expect({ route: route.name, status: htmx.status, redirect: htmx.headers['hx-redirect']?.startsWith('/login') }).toEqual({
          route: route.name,
          status: 401,
          redirect: true,
        });
      }
      expect(await t.app.get(MikroORM).em.fork().count(Photo, { id: photoId })).toBe(1);
    });
  });

  describe('every GET route (from the router) leaves the database unchanged', () => {
    /** Every table's rows, in a stable order; the requesting browser's own session row aside (see below). */
    async function snapshot(ownSid?: string): Promise<Record<string, string[]>> {
      const connection = t.app.get(MikroORM).em.getConnection();
      const tables =
        backend === 'sqlite'
          ? await connection.execute<{ name: string }[]>("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")
          : await connection.execute<{ name: string }[]>(
              'select table_name as name from information_schema.tables where table_schema = database()',
            );
      const result: Record<string, string[]> = {};
      for (const { name } of tables) {
        const rows: Record<string, unknown>[] = await connection.execute(`select * from \`${name}\``);
        result[name] = rows
          .filter((row) => !(name === 'sessions' && row.sid === ownSid))
          .map((row) => JSON.stringify(row))
          .sort();
      }
      return result;
    }

    /**
     * The sid of a browser's session, from its signed cookie. That one row is left out of the comparison: every
     * request may touch it (the rolling idle timeout pushes its expiry), and GET /reset-password/:token and
     * GET /invite/:token exist to move their token into it. Every other session row, and every other table, must stay
     * exactly as it was.
     */
    const sidOf = (browser: Browser) => {
      const cookie = browser.sessionCookie();
      return cookie ? /^s:([^.]+)\./.exec(decodeURIComponent(cookie.split('=')[1]))?.[1] : undefined;
    };

    it('for the owner, another user and an anonymous visitor', async () => {
      const gets = routes().filter((r) => r.method === 'GET');
      expect(gets.length).toBeGreaterThanOrEqual(10);
      const clients: Array<[string, () => Promise<Browser>]> = [
        ['owner', async () => owner],
        ['other user', async () => stranger],
        ['anonymous', async () => new Browser(t.app)],
      ];
      for (const [who, client] of clients) {
        for (const route of gets) {
          const browser = await client();
          const path = route.path.replace(':id', photoId).replace(':token', 'x'.repeat(43));
          const before = await snapshot(sidOf(browser));
          const res = await browser.agent.get(path).redirects(0);
          expect(res.status).toBeLessThan(500);
          expect({ who, route: route.name, changed: await snapshot(sidOf(browser)) }).toEqual({ who, route: route.name, changed: before });
        }
      }
    });
  });
});
