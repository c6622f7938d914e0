import { EntityManager, MikroORM } from '@mikro-orm/core';
import { AppConfig } from '../../src/config/app-config';
import { databaseOptions } from '../../src/database/database-options';
import { keepAnActiveAdmin, LastAdminError } from '../../src/users/last-admin';
import { User } from '../../src/users/user.entity';
import { UsersService } from '../../src/users/users.service';
import { FakeClock } from '../support/fake-clock';
import { backends, createTestDatabase, TestDatabase } from '../support/test-database';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Decisions about who is admin, taken by two transactions at the same moment: the first holds its decision open for
 * a while and the second starts meanwhile, so without locking both would read the same state and both would pass.
 */
describe.each(backends())('admin decisions under concurrent transactions [%s]', (backend) => {
  let db: TestDatabase;
  let orm: MikroORM;

  beforeEach(async () => {
    db = await createTestDatabase(backend);
    orm = await MikroORM.init(databaseOptions(db));
    await orm.getMigrator().up();
  });

  afterEach(async () => {
    await orm?.close(true);
    await db?.drop();
  });

  it('two admins demoting each other: exactly one goes through, the last active admin stays', async () => {
    const em = orm.em.fork();
    for (const name of ['alice', 'bruno']) {
      em.create(User, { username: name, usernameKey: name, email: `${name}@example.com`, passwordHash: 'x', createdAt: new Date(), role: 'admin', usedBytes: 0 });
    }
    await em.flush();
    const demote = (username: string, holdMs: number) =>
      orm.em.fork().transactional(async (tx: EntityManager) => {
        const user = await tx.findOneOrFail(User, { usernameKey: username });
        await keepAnActiveAdmin(tx, user);
        user.role = 'user';
        await tx.flush();
        await sleep(holdMs);
      });

    const first = demote('alice', 400);
    await sleep(100);
    const second = demote('bruno', 0);
    const results = await Promise.allSettled([first, second]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(LastAdminError);
    expect(await orm.em.fork().count(User, { role: 'admin', disabledAt: null })).toBe(1);
  });

  it('two first registrations on a new instance: exactly one becomes admin, and both accounts exist', async () => {
    const register = (username: string, holdMs: number) =>
      new UsersService(orm.em.fork(), new FakeClock(), { defaultQuotaBytes: null } as AppConfig).create(
        { username, email: `${username}@example.com`, passwordHash: 'x' },
        async () => {
          await sleep(holdMs);
        },
      );

    const first = register('early', 400);
    await sleep(100);
    const second = register('late', 0);
    const created = await Promise.all([first, second]);
    expect(created.map((user) => user.role)).toEqual(['admin', 'user']);
    expect(await orm.em.fork().count(User, { role: 'admin' })).toBe(1);
    expect(await orm.em.fork().count(User, {})).toBe(2);
  });
});
