import { MikroORM } from '@mikro-orm/core';
import { PasswordReset } from '../../src/users/password-reset.entity';
import { Mailer } from '../../src/mail/mailer';
import { Photo } from '../../src/photos/photo.entity';
import { Session } from '../../src/sessions/session.entity';
import { BLOB_STORAGE, BlobStorage } from '../../src/storage/blob-storage.port';
import { User } from '../../src/users/user.entity';
import { Browser, loggedInBrowser, login, STRONG_PASSWORD } from '../support/browser';
import { jpeg } from '../support/images';
import { readOutbox } from '../support/smtp';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';
import { decodeEntities, upload } from '../support/uploads';

const WRONG = 'Your current password is not correct.';
const NEW_PASSWORD = 'Another Day#77';

describe.each(backends())('/account [%s]', (backend) => {
  let t: TestApp;
  let admin: Browser;
  const em = () => t.app.get(MikroORM).em.fork();
  const user = (username: string) => em().findOne(User, { usernameKey: username.toLowerCase() }, { populate: ['passwordHash'] });
  const page = (res: { text: string }) => decodeEntities(res.text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' '));
  const mailsTo = async (address: string) => {
    await t.app.get(Mailer).idle();
    return (await readOutbox(t.config.mail.outboxDir)).filter((mail) => mail.to.includes(address));
  };

  beforeAll(async () => {
    t = await createTestApp(backend);
    admin = await loggedInBrowser(t.app, 'owner');
  });

  afterAll(async () => {
    await t?.close();
  });

  it('shows the account with its storage use, and needs a login', async () => {
    const browser = await loggedInBrowser(t.app, 'viewer');
    await upload(browser, [{ name: 'a.jpg', data: await jpeg(320, 240, 1) }]);
    const res = await browser.get('/account');
    expect(res.status).toBe(200);
    expect(page(res)).toMatch(/My account Storage [\d.]+ KB used \(no limit\)/);
    expect(res.text).toContain('value="viewer@example.com"');
    const anonymous = await new Browser(t.app).get('/account');
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.location).toBe('/login?next=%2Faccount');
  });

  it('changes username and email only with the current password, and tells the old address', async () => {
    const browser = await loggedInBrowser(t.app, 'renamer');
    const refused = await browser.submit(
      '/account/profile',
      { username: 'renamed', email: 'new@example.com', currentPassword: 'Wrong Pass!1' },
      { from: '/account' },
    );
    expect(refused.status).toBe(403);
    expect(page(refused)).toContain(WRONG);
    expect(await user('renamer')).toMatchObject({ email: 'renamer@example.com' });

    const invalid = await browser.submit(
      '/account/profile',
      { username: 'x', email: 'owner@example.com', currentPassword: STRONG_PASSWORD },
      { from: '/account' },
    );
    expect(invalid.status).toBe(422);
    expect(page(invalid)).toContain('Username must be 3–32 characters');
    const taken = await browser.submit(
      '/account/profile',
      { username: 'Owner', email: 'owner@example.com', currentPassword: STRONG_PASSWORD },
      { from: '/account' },
    );
    expect(taken.status).toBe(422);
    expect(page(taken)).toContain('That username is already taken.');
    expect(page(taken)).toContain('An account with this email already exists.');

    await new Browser(t.app).submit('/forgot-password', { email: 'renamer@example.com' }, { from: '/forgot-password' });
    await t.app.get(Mailer).idle(); // the link is issued after the answer
    const renamerId = (await user('renamer'))!.id;
    expect(await em().count(PasswordReset, { userId: renamerId })).toBe(1);
    const saved = await browser.submit(
      '/account/profile',
      { username: 'Renamed', email: 'New@Example.com', currentPassword: STRONG_PASSWORD },
      { from: '/account' },
    );
    expect(saved.status).toBe(303);
    expect(page(await browser.get('/account'))).toContain('Your account details were saved.');
    expect(await user('renamed')).toMatchObject({ id: renamerId, username: 'Renamed', email: 'new@example.com' });
    expect(await em().count(PasswordReset, { userId: renamerId })).toBe(0);
    expect((await browser.get('/')).text).toContain('Renamed');
    const [notice] = (await mailsTo('renamer@example.com')).filter((mail) => mail.subject === 'Your Photosphere account was changed');
    expect(notice.text).toContain('username from "renamer" to "Renamed" and the email address from renamer@example.com to new@example.com');
    expect((await login(new Browser(t.app), 'new@example.com')).status).toBe(303);
  });

  it('changes the password only with the current one; other sessions end, this one goes on', async () => {
    const browser = await loggedInBrowser(t.app, 'rotator');
    const phone = new Browser(t.app);
    await login(phone, 'rotator');
    const fields = { currentPassword: 'Wrong Pass!1', password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD };
    const refused = await browser.submit('/account/password', fields, { from: '/account' });
    expect(refused.status).toBe(403);
    expect(page(refused)).toContain(WRONG);
    const before = (await user('rotator'))!.passwordHash;

    const weak = await browser.submit(
      '/account/password',
      { ...fields, currentPassword: STRONG_PASSWORD, password: 'weakpass', confirmPassword: 'weakpass' },
      { from: '/account' },
    );
    expect(weak.status).toBe(422);
    expect(page(weak)).toContain('Password must contain at least one uppercase letter.');
    const mismatch = await browser.submit(
      '/account/password',
      { ...fields, currentPassword: STRONG_PASSWORD, confirmPassword: 'Something Else#1' },
      { from: '/account' },
    );
    expect(page(mismatch)).toContain('The two passwords do not match.');
    expect((await user('rotator'))!.passwordHash).toBe(before);

    const changed = await browser.submit('/account/password', { ...fields, currentPassword: STRONG_PASSWORD }, { from: '/account' });
    expect(changed.status).toBe(303);
    expect(page(await browser.get('/account'))).toContain('Your password was changed. Every other device has been signed out.');
    expect((await phone.get('/')).status).toBe(302);
    expect(await em().count(Session, { userId: (await user('rotator'))!.id })).toBe(1);
    expect((await login(new Browser(t.app), 'rotator')).status).toBe(401);
    expect((await login(new Browser(t.app), 'rotator', NEW_PASSWORD)).status).toBe(303);
    expect((await mailsTo('rotator@example.com')).map((mail) => mail.subject)).toContain('Your Photosphere password was changed');
  });

  it('signs out everywhere, this browser included', async () => {
    const browser = await loggedInBrowser(t.app, 'leaver');
    const tablet = new Browser(t.app);
    await login(tablet, 'leaver');
    const res = await browser.submit('/account/sign-out-everywhere', {}, { from: '/account' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login');
    expect(await em().count(Session, { userId: (await user('leaver'))!.id })).toBe(0);
    expect(page(await browser.get('/login'))).toContain('You have been signed out on every device.');
    for (const b of [browser, tablet]) expect((await b.get('/')).status).toBe(302);
  });

  it('deletes the account with every photo, blob and session only with the current password', async () => {
    const browser = await loggedInBrowser(t.app, 'quitter');
    const id = (await user('quitter'))!.id;
    await upload(browser, [
      { name: 'a.jpg', data: await jpeg(320, 240, 5) },
      { name: 'b.jpg', data: await jpeg(320, 240, 6) },
    ]);
    const phone = new Browser(t.app);
    await login(phone, 'quitter');
    const blobs = async () => {
      const keys: string[] = [];
      for await (const blob of t.app.get<BlobStorage>(BLOB_STORAGE).list(`${id}/`)) keys.push(blob.key);
      return keys;
    };
    expect(await blobs()).toHaveLength(6);

    const refused = await browser.submit('/account/delete', { currentPassword: 'Wrong Pass!1' }, { from: '/account' });
    expect(refused.status).toBe(403);
    expect(page(refused)).toContain(WRONG);
    expect(await em().count(Photo, { ownerId: id })).toBe(2);

    const deleted = await browser.submit('/account/delete', { currentPassword: STRONG_PASSWORD }, { from: '/account' });
    expect(deleted.status).toBe(303);
    expect(await em().count(Session, { userId: id })).toBe(0);
    expect(await em().count(User, { id })).toBe(0);
    expect(await em().count(Photo, { ownerId: id })).toBe(0);
    expect(page(await browser.get('/login'))).toContain('Your account and all your photos have been deleted.');
    expect(await blobs()).toEqual([]);
    expect((await phone.get('/')).status).toBe(302);
    expect((await login(new Browser(t.app), 'quitter')).status).toBe(401);
  });

  it('does not let the last active admin delete their own account', async () => {
    const res = await admin.submit('/account/delete', { currentPassword: STRONG_PASSWORD }, { from: '/account' });
    expect(res.status).toBe(409);
    expect(page(res)).toContain('owner is the last active admin. Make someone else an admin first.');
    expect(await user('owner')).not.toBeNull();
  });

  it('limits guesses of the current password to 20 an hour', async () => {
    const browser = await loggedInBrowser(t.app, 'guesser');
    for (let i = 0; i < 20; i++) {
      expect((await browser.submit('/account/delete', { currentPassword: `Guess ${i}!X` }, { from: '/account' })).status).toBe(403);
    }
    const limited = await browser.submit('/account/delete', { currentPassword: STRONG_PASSWORD }, { from: '/account' });
    expect(limited.status).toBe(429);
    expect(await user('guesser')).not.toBeNull();
  });

  it('refuses every account change without a CSRF token', async () => {
    const browser = await loggedInBrowser(t.app, 'csrfless');
    for (const path of ['/account/profile', '/account/password', '/account/sign-out-everywhere', '/account/delete']) {
      const res = await browser.agent
        .post(path)
        .type('form')
        .send({ currentPassword: STRONG_PASSWORD, username: 'hijacked', email: 'x@example.com' })
        .redirects(0);
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
    }
    expect(await user('csrfless')).not.toBeNull();
    expect((await browser.get('/account')).status).toBe(200);
  });
});
