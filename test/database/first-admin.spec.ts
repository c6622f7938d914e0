import { MikroORM } from '@mikro-orm/core';
import { AppConfig } from '../../src/config/app-config';
import { databaseOptions } from '../../src/database/database-options';
import { User } from '../../src/users/user.entity';
import { UsersService } from '../../src/users/users.service';
import { FakeClock } from '../support/fake-clock';
import { backends, createTestDatabase, TestDatabase } from '../support/test-database';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Two people registering on a brand-new instance at the same moment: the first account's transaction is still open
 * when the second starts, so both count no account yet. Only one of them may become admin.
 */
describe.each(backends())('the first account under concurrent registrations [%s]', (backend) => {
  let db: TestDatabase;
  let orm: MikroORM;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    orm = await MikroORM.init(databaseOptions(db));
    await orm.getMigrator().up();
  });

  afterAll(async () => {
    await orm?.close(true);
    await db?.drop();
  });

  const register = (username: string, holdMs: number) =>
    new UsersService(orm.em.fork(), new FakeClock(), { defaultQuotaBytes: null } as AppConfig).create(
      { username, email: `${username}@example.com`, passwordHash: 'x' },
      async () => {
        await sleep(holdMs);
      },
    );

  it('makes exactly one of them admin, and both accounts exist', async () => {
    const first = register('early', 400);
    await sleep(100);
    const second = register('late', 0);
    const created = await Promise.all([first, second]);
    expect(created.map((user) => user.role)).toEqual(['admin', 'user']);
    expect(await orm.em.fork().count(User, { role: 'admin' })).toBe(1);
    expect(await orm.em.fork().count(User, {})).toBe(2);
  });
});
