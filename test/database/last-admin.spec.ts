import { EntityManager, MikroORM } from '@mikro-orm/core';
import { databaseOptions } from '../../src/database/database-options';
import { keepAnActiveAdmin, LastAdminError } from '../../src/users/last-admin';
import { User } from '../../src/users/user.entity';
import { backends, createTestDatabase, TestDatabase } from '../support/test-database';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Two admins demoting each other at the same moment: the first transaction holds its decision open for a while, the
 * second starts meanwhile. Without row locks the second would read two active admins and both demotions would pass.
 */
describe.each(backends())('the last active admin under concurrent demotions [%s]', (backend) => {
  let db: TestDatabase;
  let orm: MikroORM;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    orm = await MikroORM.init(databaseOptions(db));
    await orm.getMigrator().up();
    const em = orm.em.fork();
    for (const name of ['alice', 'bruno']) {
      em.create(User, { username: name, usernameKey: name, email: `${name}@example.com`, passwordHash: 'x', createdAt: new Date(), role: 'admin', usedBytes: 0 });
    }
    await em.flush();
  });

  afterAll(async () => {
    await orm?.close(true);
    await db?.drop();
  });

  const demote = (username: string, holdMs: number) =>
    orm.em.fork().transactional(async (em: EntityManager) => {
      const user = await em.findOneOrFail(User, { usernameKey: username });
      await keepAnActiveAdmin(em, user);
      user.role = 'user';
      await em.flush();
      await sleep(holdMs);
    });

  it('lets exactly one of them through', async () => {
    const first = demote('alice', 400);
    await sleep(100);
    const second = demote('bruno', 0);
    const results = await Promise.allSettled([first, second]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(LastAdminError);
    expect(await orm.em.fork().count(User, { role: 'admin', disabledAt: null })).toBe(1);
  });
});
