import { MikroORM } from '@mikro-orm/core';
import { maskSecretTokens } from '../../src/common/secret-token';
import { User } from '../../src/users/user.entity';
import { Browser, login, register } from '../support/browser';
import { CapturingLogger } from '../support/capturing-logger';
import { routesOf } from '../support/routes';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';

describe.each(backends())('request logging [%s]', (backend) => {
  let t: TestApp;
  const logger = new CapturingLogger();

  beforeAll(async () => {
    t = await createTestApp(backend, { logger });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('writes one structured line per request, with a request id', async () => {
    const res = await new Browser(t.app).get('/login?next=%2Fsecret-query');
    const line = logger.lines.map((l) => JSON.parse(l)[0]).find((entry) => entry?.reqId === res.headers['x-request-id']);
    expect(line).toMatchObject({ msg: 'request', method: 'GET', path: '/login', status: 200 });
    expect(typeof line.ms).toBe('number');
    expect(logger.text()).not.toContain('secret-query');
  });

  it('never logs passwords, hashes, CSRF tokens or session ids', async () => {
    const password = 'Unguessable Pa55word!';
    const browser = new Browser(t.app);
    await register(browser, { username: 'logcheck', email: 'logcheck@example.com', password });
    await login(browser, 'logcheck', 'Wrong Password!1');
    await login(browser, 'logcheck', password);
    await browser.get('/');
    const sessionId = decodeURIComponent(browser.sessionCookie()!.split('=')[1]).slice(2).split('.')[0];
    await browser.submit('/logout', {});
    const user = await t.app
      .get(MikroORM)
      .em.fork()
      .findOneOrFail(User, { usernameKey: 'logcheck' }, { populate: ['passwordHash'] });

    const logs = logger.text();
    expect(logs).toContain('"path":"/logout"');
    for (const secret of [
      password,
      'Wrong Password!1',
      user.passwordHash,
      user.passwordHash.split('$').pop()!,
      browser.csrfToken!,
      sessionId,
    ]) {
      expect(logs).not.toContain(secret);
    }
  });

  it("masks tokens in logged paths, but no route's own words", () => {
    const paths = routesOf(t.app).map((route) => route.path);
    expect(paths).toContain('/invite/:token');
    for (const path of paths) expect(maskSecretTokens(path)).toBe(path);
  });
});
