import { Browser, loggedInBrowser } from '../support/browser';
import { jpeg } from '../support/images';
import { photosProcessed } from '../support/processing';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';
import { photoIds, upload } from '../support/uploads';

/**
 * What the browser keeps: nothing a login opened (Back after Logout must not show a private page), and a logout
 * clears what it cached; images (private, immutable URLs) and the public assets keep their own caching.
 */
describe.each(backends())('what the browser keeps [%s]', (backend) => {
  let t: TestApp;
  let admin: Browser;
  let photoId: string;

  beforeAll(async () => {
    t = await createTestApp(backend);
    admin = await loggedInBrowser(t.app, 'keeper'); // the first account: an admin
    await upload(admin, [{ name: 'private.jpg', data: await jpeg(320, 240, 9) }]);
    await photosProcessed(t.app);
    photoId = photoIds((await admin.get('/')).text)[0];
  });

  afterAll(async () => {
    await t?.close();
  });

  it('sends Cache-Control: no-store with every page and fragment a logged-in user gets', async () => {
    const pages = [
      '/',
      `/photos/${photoId}`,
      `/photos/${photoId}/delete`,
      '/account',
      '/admin/users',
      `/admin/users?q=keeper`,
      '/admin/settings',
      '/no-such-page',
    ];
    for (const path of pages) {
      const res = await admin.get(path);
      expect({ path, cacheControl: res.headers['cache-control'] }).toEqual({ path, cacheControl: 'no-store' });
    }
    const fragment = await admin.get('/admin/users?q=keeper', { 'HX-Request': 'true' });
    expect(fragment.headers['cache-control']).toBe('no-store');
  });

  it('keeps images private and immutable, and public assets cacheable', async () => {
    for (const rendition of ['thumbnail', 'preview', 'original']) {
      const res = await admin.agent
        .get(`/photos/${photoId}/${rendition}`)
        .buffer(true)
        .parse((r, done) => (r.on('data', () => undefined), r.on('end', () => done(null, null))));
      expect({ rendition, cacheControl: res.headers['cache-control'] }).toEqual({
        rendition,
        cacheControl: 'private, max-age=31536000, immutable',
      });
    }
    expect((await admin.get('/css/app.css')).headers['cache-control']).toBe('public, max-age=3600');
    expect((await admin.get('/vendor/htmx/htmx.min.js')).headers['cache-control']).toBe('public, max-age=604800');
  });

  it('logging out tells the browser to clear its cache of this site', async () => {
    const browser = await loggedInBrowser(t.app, 'leaver');
    const res = await browser.submit('/logout', {});
    expect(res.status).toBe(303);
    expect(res.headers['clear-site-data']).toBe('"cache"');
  });

  it('so does signing out everywhere from this browser', async () => {
    const browser = await loggedInBrowser(t.app, 'everywhere');
    const res = await browser.submit('/account/sign-out-everywhere', {}, { from: '/account' });
    expect(res.status).toBe(303);
    expect(res.headers['clear-site-data']).toBe('"cache"');
  });
});
