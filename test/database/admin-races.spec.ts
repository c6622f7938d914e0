import { EntityManager, MikroORM } from '@mikro-orm/core';
import { databaseOptions } from '../../src/database/database-options';
import { firstAccountIsAdmin } from '../../src/registration/first-admin';
import { keepAnActiveAdmin, LastAdminError } from '../../src/users/last-admin';
import { User } from '../../src/users/user.entity';
import { FakeClock } from '../support/fake-clock';
import { backends, createTestDatabase, TestDatabase } from '../support/test-database';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long the first transaction keeps its decision open: the window in which the second one collides with it. */
const HOLD_MS = 400;

/**
 * For the first transaction, at the point where it has decided: `decided` tells the test (which then starts the
 * second one), and `holdOpen` keeps the transaction open for HOLD_MS.
 */
function firstDecision() {
  let decide!: () => void;
  const decided = new Promise<void>((resolve) => (decide = resolve));
  const holdOpen = async () => {
    decide();
    await sleep(HOLD_MS);
  };
  return { decided, holdOpen };
}

/**
 * Decisions about who is admin, taken by two transactions at the same moment: the first holds its decision open for
 * a while and the second starts meanwhile (as soon as the first has decided), so without locking both would read the
 * same state and both would pass. However late the second starts, the right outcome is the same.
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
      em.create(User, {
        username: name,
        usernameKey: name,
        email: `${name}@example.com`,
        passwordHash: 'x',
        createdAt: new Date(),
        role: 'admin',
        usedBytes: 0,
      });
    }
    await em.flush();
    const demote = (username: string, holdOpen?: () => Promise<void>) =>
      orm.em.fork().transactional(async (tx: EntityManager) => {
        const user = await tx.findOneOrFail(User, { usernameKey: username });
        await keepAnActiveAdmin(tx, user);
        user.role = 'user';
        await tx.flush();
        await holdOpen?.();
      });

    const { decided, holdOpen } = firstDecision();
    const first = demote('alice', holdOpen);
    await decided;
    const second = demote('bruno');
    const results = await Promise.allSettled([first, second]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(LastAdminError);
    expect(await orm.em.fork().count(User, { role: 'admin', disabledAt: null })).toBe(1);
  });

  it('two first registrations on a new instance: exactly one becomes admin, and both accounts exist', async () => {
    // What registration does in the transaction that creates an account: the first-admin rule decides the role.
    const register = (username: string, holdOpen?: () => Promise<void>) =>
      orm.em.fork().transactional(async (tx: EntityManager) => {
        const role = await firstAccountIsAdmin(new FakeClock().now())(tx);
        const user = tx.create(User, {
          username,
          usernameKey: username,
          email: `${username}@example.com`,
          passwordHash: 'x',
          createdAt: new Date(),
          role,
          usedBytes: 0,
        });
        await tx.flush();
        await holdOpen?.();
        return user;
      });

    const { decided, holdOpen } = firstDecision();
    const first = register('early', holdOpen);
    await decided;
    const second = register('late');
    const created = await Promise.all([first, second]);
    expect(created.map((user) => user.role)).toEqual(['admin', 'user']);
    expect(await orm.em.fork().count(User, { role: 'admin' })).toBe(1);
    expect(await orm.em.fork().count(User, {})).toBe(2);
  });
});
