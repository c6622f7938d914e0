import { MikroORM } from '@mikro-orm/core';
import { PasswordReset } from '../../src/users/password-reset.entity';
import { Mailer } from '../../src/mail/mailer';
import { Photo } from '../../src/photos/photo.entity';
import { Session } from '../../src/sessions/session.entity';
import { BLOB_STORAGE, BlobStorage } from '../../src/storage/blob-storage.port';
import { User } from '../../src/users/user.entity';
import { Browser, loggedInBrowser, login, register, STRONG_PASSWORD } from '../support/browser';
import { jpeg } from '../support/images';
import { routesOf } from '../support/routes';
import { readOutbox } from '../support/smtp';
import { photosProcessed } from '../support/processing';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';
import { decodeEntities, upload } from '../support/uploads';

const LAST_ADMIN = (name: string) => `${name} is the last active admin. Make someone else an admin first.`;
const NOT_FOUND = 'We could not find that page.';

describe.each(backends())('administration [%s]', (backend) => {
  let t: TestApp;
  let admin: Browser;
  let adminId: string;
  const em = () => t.app.get(MikroORM).em.fork();
  const userNamed = (username: string) => em().findOneOrFail(User, { usernameKey: username.toLowerCase() });
  const idOf = async (username: string) => (await userNamed(username)).id;
  const text = (html: string) => decodeEntities(html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' '));
  /** Posts an admin form as its page would, and returns the flash shown on the page it leads to. */
  const act = async (browser: Browser, path: string, fields: Record<string, string> = {}) => {
    const from = path.replace(/\/[a-z-]+$/, '');
    const res = await browser.submit(path, fields, { from });
    return { res, page: res.status === 303 ? text((await browser.get(res.headers.location)).text) : text(res.text) };
  };

  beforeAll(async () => {
    t = await createTestApp(backend);
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('the first account', () => {
    it('is told on the register page of an empty instance that it becomes admin, and does', async () => {
      const page = await new Browser(t.app).get('/register');
      expect(text(page.text)).toContain('This Photosphere has no accounts yet. The account you create now becomes its administrator');
      admin = await loggedInBrowser(t.app, 'founder');
      adminId = await idOf('founder');
      expect((await userNamed('founder')).role).toBe('admin');
      expect(text((await new Browser(t.app).get('/register')).text)).not.toContain('no accounts yet');
    });

    it('makes later accounts regular users, and shows the Admin link to admins only', async () => {
      const user = await loggedInBrowser(t.app, 'second');
      expect((await userNamed('second')).role).toBe('user');
      expect((await user.get('/')).text).not.toContain('href="/admin/users"');
      expect((await user.get('/')).text).toContain('href="/account"');
      expect((await admin.get('/')).text).toContain('href="/admin/users"');
    });
  });

  describe('access', () => {
    const adminRoutes = () => routesOf(t.app).filter((r) => r.path.startsWith('/admin'));
    const concrete = (path: string) => path.replace(/:id/, adminId);

    it('has every admin route answer 404 to a regular user and to anyone logged out, token or not', async () => {
      const user = await loggedInBrowser(t.app, 'curious');
      const anonymous = new Browser(t.app);
      await anonymous.get('/login');
      expect(adminRoutes().length).toBeGreaterThanOrEqual(12);
      for (const route of adminRoutes()) {
        for (const [who, browser] of [
          ['user', user],
          ['anonymous', anonymous],
        ] as const) {
          const res =
            route.method === 'GET'
              ? await browser.get(concrete(route.path))
              : await browser.agent
                  .post(concrete(route.path))
                  .type('form')
                  .send({ _csrf: browser.csrfToken, mode: 'closed', quotaMb: '1', confirmUsername: 'founder' })
                  .redirects(0);
          expect({ route: `${route.method} ${route.path}`, who, status: res.status }).toEqual({
            route: `${route.method} ${route.path}`,
            who,
            status: 404,
          });
          expect(res.text).toContain(NOT_FOUND);
        }
      }
      expect(await userNamed('founder')).toMatchObject({ role: 'admin', disabledAt: null, quotaBytes: null });
    });

    it('refuses every admin post without a CSRF token with 403, even from an admin', async () => {
      for (const route of adminRoutes().filter((r) => r.method === 'POST')) {
        const res = await admin.agent
          .post(concrete(route.path))
          .type('form')
          .send({ mode: 'closed', quotaMb: '1', confirmUsername: 'founder' })
          .redirects(0);
        expect({ route: route.path, status: res.status }).toEqual({ route: route.path, status: 403 });
      }
      expect(await userNamed('founder')).toMatchObject({ role: 'admin', disabledAt: null, quotaBytes: null });
    });

    it('sees a demotion at the next request: the demoted admin loses the area at once', async () => {
      const deputy = await loggedInBrowser(t.app, 'deputy');
      await act(admin, `/admin/users/${await idOf('deputy')}/promote`);
      expect((await deputy.get('/admin/users')).status).toBe(200);
      await act(admin, `/admin/users/${await idOf('deputy')}/demote`);
      expect((await deputy.get('/admin/users')).status).toBe(404);
    });
  });

  describe('/admin/users', () => {
    beforeAll(async () => {
      const fork = em();
      for (let i = 1; i <= 24; i++) {
        fork.create(User, {
          username: `member${String(i).padStart(2, '0')}`,
          usernameKey: `member${String(i).padStart(2, '0')}`,
          email: `member${i}@club.example`,
          passwordHash: 'not-a-hash',
          createdAt: new Date(t.clock.now().getTime() + i * 60_000),
          role: 'user',
          usedBytes: 0,
        });
      }
      await fork.flush();
    });

    it('shows every column, pages by 20 and searches by username or email, as a page and as an htmx fragment', async () => {
      const first = await admin.get('/admin/users');
      expect(first.status).toBe(200);
      const page = text(first.text);
      for (const column of ['Username', 'Email', 'Role', 'Created', 'Last login', 'Photos', 'Used', 'Quota'])
        expect(page).toContain(column);
      expect(page).toContain('Page 1 of 2');
      expect(page).toMatch(/founder (founder@example\.com )+Admin \d+ \w+ 2026 [\d\w ,:]+ 0 0 B No limit/);
      expect(decodeEntities(first.text)).toContain('href="/admin/users?page=2"');

      const second = text((await admin.get('/admin/users?page=2')).text);
      expect(second).toContain('Page 2 of 2');
      expect(second).toContain('member24');
      expect(second).not.toContain('founder@example.com');

      const search = await admin.get('/admin/users?q=CLUB.example', { 'HX-Request': 'true' });
      expect(search.text).not.toContain('<html');
      expect(search.text).toContain('id="users-table"');
      expect(text(search.text)).toContain('24 accounts matching “CLUB.example”');
      expect(text((await admin.get('/admin/users?q=member07')).text)).toContain('1 account matching “member07”');
      expect(text((await admin.get('/admin/users?q=nobody')).text)).toContain('No account matches “nobody”.');
    });
  });

  describe('actions', () => {
    it('disables a user: their live sessions end at once, they cannot log in; enabling lets them back', async () => {
      const victim = await loggedInBrowser(t.app, 'lockme');
      const laptop = new Browser(t.app);
      await login(laptop, 'lockme');
      const id = await idOf('lockme');
      expect(await em().count(Session, { userId: id })).toBe(2);

      const { page } = await act(admin, `/admin/users/${id}/disable`);
      expect(page).toContain('lockme is disabled and has been signed out everywhere.');
      expect(await em().count(Session, { userId: id })).toBe(0);
      for (const browser of [victim, laptop]) {
        const res = await browser.get('/');
        expect(res.status).toBe(302);
        expect(res.headers.location).toBe('/login');
      }
      const refused = await login(new Browser(t.app), 'lockme');
      expect(refused.status).toBe(401);
      expect(decodeEntities(refused.text)).toContain('This account has been disabled.');
      const wrongPassword = await login(new Browser(t.app), 'lockme', 'Wrong Pass!9');
      expect(decodeEntities(wrongPassword.text)).toContain('Invalid email/username or password.');

      expect((await act(admin, `/admin/users/${id}/enable`)).page).toContain('lockme can log in again.');
      expect((await login(new Browser(t.app), 'lockme')).status).toBe(303);
    });

    it('sets and clears a quota, refusing anything but whole megabytes', async () => {
      const id = await idOf('second');
      expect((await act(admin, `/admin/users/${id}/quota`, { quotaMb: '250' })).page).toContain("second's storage quota is now 250 MB.");
      expect((await userNamed('second')).quotaBytes).toBe(250 * 1024 * 1024);
      for (const bad of ['-1', '1.5', 'lots', '9999999999']) {
        expect((await act(admin, `/admin/users/${id}/quota`, { quotaMb: bad })).page).toContain(
          'Enter the quota in whole megabytes (MB), or leave it empty for no limit.',
        );
      }
      expect((await userNamed('second')).quotaBytes).toBe(250 * 1024 * 1024);
      expect((await act(admin, `/admin/users/${id}/quota`, { quotaMb: '' })).page).toContain('second has no storage limit now.');
      expect((await userNamed('second')).quotaBytes).toBeNull();
    });

    it('sends a password reset link to the user', async () => {
      const { page } = await act(admin, `/admin/users/${await idOf('second')}/password-reset`);
      expect(page).toContain('A password reset link was sent to second@example.com.');
      await t.app.get(Mailer).idle();
      const mails = (await readOutbox(t.config.mail.outboxDir)).filter((mail) => mail.to.includes('second@example.com'));
      expect(mails.map((mail) => mail.subject)).toContain('Reset your Photosphere password');
    });

    it('answers 404 for a user that does not exist', async () => {
      expect((await admin.get('/admin/users/00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect((await admin.get('/admin/users/not-a-uuid')).status).toBe(404);
      const res = await admin.submit('/admin/users/00000000-0000-4000-8000-000000000000/disable', {}, { from: '/admin/users' });
      expect(res.status).toBe(404);
    });
  });

  describe('the last active admin', () => {
    it('can be neither demoted, disabled nor deleted; with a second admin each of them can', async () => {
      for (const [action, fields] of [
        ['demote', {}],
        ['disable', {}],
        ['delete', { confirmUsername: 'founder' }],
      ] as const) {
        const { page } = await act(admin, `/admin/users/${adminId}/${action}`, fields);
        expect(page).toContain(LAST_ADMIN('founder'));
      }
      expect(await userNamed('founder')).toMatchObject({ role: 'admin', disabledAt: null });

      // A disabled admin does not count as an active one.
      const backup = await loggedInBrowser(t.app, 'backup');
      const backupId = await idOf('backup');
      await act(admin, `/admin/users/${backupId}/promote`);
      await act(admin, `/admin/users/${backupId}/disable`);
      expect((await act(admin, `/admin/users/${adminId}/demote`)).page).toContain(LAST_ADMIN('founder'));

      await act(admin, `/admin/users/${backupId}/enable`);
      await login(backup, 'backup');
      await backup.get('/');
      expect((await act(backup, `/admin/users/${adminId}/demote`)).page).toContain('founder is now a regular user.');
      expect((await act(backup, `/admin/users/${backupId}/demote`)).page).toContain(LAST_ADMIN('backup'));
      expect((await act(backup, `/admin/users/${adminId}/promote`)).page).toContain('founder is now an admin.');
      await admin.get('/');

      // Demoting or disabling yourself (another admin remaining) leaves the admin area for a page you can still see.
      const demoted = await backup.submit(`/admin/users/${backupId}/demote`, {}, { from: `/admin/users/${backupId}` });
      expect(demoted.headers.location).toBe('/');
      expect(text((await backup.get('/')).text)).toContain('backup is now a regular user.');
      await act(admin, `/admin/users/${backupId}/promote`);
      const disabled = await backup.submit(`/admin/users/${backupId}/disable`, {}, { from: `/admin/users/${backupId}` });
      expect(disabled.headers.location).toBe('/login');
      expect(await em().count(Session, { userId: backupId })).toBe(0);
      expect(text((await backup.get('/login')).text)).toContain('backup is disabled and has been signed out everywhere.');
      await act(admin, `/admin/users/${backupId}/enable`);
    });
  });

  describe('deleting a user', () => {
    it('asks for the username, then leaves no rows, no blobs and no sessions behind', async () => {
      const doomed = await loggedInBrowser(t.app, 'doomed');
      const id = await idOf('doomed');
      expect(
        (
          await upload(doomed, [
            { name: 'a.jpg', data: await jpeg(320, 240, 81) },
            { name: 'b.jpg', data: await jpeg(320, 240, 82) },
          ])
        ).status,
      ).toBe(303);
      await photosProcessed(t.app);
      await new Browser(t.app).submit('/forgot-password', { email: 'doomed@example.com' }, { from: '/forgot-password' });
      await t.app.get(Mailer).idle(); // the link is issued after the answer
      const storage = t.app.get<BlobStorage>(BLOB_STORAGE);
      const blobs = async () => {
        const keys: string[] = [];
        for await (const blob of storage.list(`${id}/`)) keys.push(blob.key);
        return keys;
      };
      expect(await blobs()).toHaveLength(6);
      expect(await em().count(PasswordReset, { userId: id })).toBe(1);
      expect(text((await admin.get(`/admin/users/${id}`)).text)).toContain('Deletes doomed together with all their photos (2 photos).');

      const mismatch = await act(admin, `/admin/users/${id}/delete`, { confirmUsername: 'doome' });
      expect(mismatch.page).toContain('Type the username exactly to confirm the deletion.');
      expect(await em().count(User, { id })).toBe(1);

      const { page } = await act(admin, `/admin/users/${id}/delete`, { confirmUsername: 'Doomed' });
      expect(page).toContain('doomed and all their photos have been deleted.');
      expect(await em().count(User, { id })).toBe(0);
      expect(await em().count(Photo, { ownerId: id })).toBe(0);
      expect(await em().count(Session, { userId: id })).toBe(0);
      expect(await em().count(PasswordReset, { userId: id })).toBe(0);
      expect(await blobs()).toEqual([]);
      expect((await doomed.get('/')).status).toBe(302);
      expect(
        (await register(new Browser(t.app), { username: 'doomed', email: 'doomed@example.com', password: STRONG_PASSWORD })).status,
      ).toBe(303);
    });

    it('lets an admin delete their own account while another admin remains, leaving no session behind', async () => {
      const leaving = await loggedInBrowser(t.app, 'leaving');
      const id = await idOf('leaving');
      await act(admin, `/admin/users/${id}/promote`);
      const res = await leaving.submit(`/admin/users/${id}/delete`, { confirmUsername: 'leaving' }, { from: `/admin/users/${id}` });
      expect(res.headers.location).toBe('/login');
      // Counted before this browser's next request, which would clean up a session saved under the deleted account.
      expect(await em().count(Session, { userId: id })).toBe(0);
      expect(await em().count(User, { id })).toBe(0);
      expect(text((await leaving.get('/login')).text)).toContain('leaving and all their photos have been deleted.');
    });
  });
});
