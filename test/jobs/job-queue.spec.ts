import { MikroORM } from '@mikro-orm/core';
import { databaseOptions } from '../../src/database/database-options';
import { Job } from '../../src/jobs/job.entity';
import { DEFAULT_MAX_ATTEMPTS } from '../../src/jobs/job-handlers';
import { LEASE_MS } from '../../src/jobs/job-settings';
import { jobType } from '../../src/jobs/job-type';
import { retryDelayMs } from '../../src/jobs/job-workers';
import { FakeClock } from '../support/fake-clock';
import { JobInstance, jobInstance } from '../support/job-instance';
import { backends, createTestDatabase, TestDatabase } from '../support/test-database';

const counted = jobType<{ n: number }>('test.counted');
const secretive = jobType<{ link: string }>('test.secretive', { sealed: true });

/** Resolves once `count()` reaches `target`; checked whenever `poke` is called. */
function reach(target: number, count: () => number) {
  let done!: () => void;
  const reached = new Promise<void>((resolve) => (done = resolve));
  return { reached, poke: () => count() >= target && done() };
}

describe.each(backends())('jobs in the database [%s]', (backend) => {
  let db: TestDatabase;
  const orms: MikroORM[] = [];
  const instances: JobInstance[] = [];
  let clock: FakeClock;

  /** Another instance: its own ORM (own connection pool) on the same database, its own workers. */
  async function instance(instanceId: string, concurrency = 4): Promise<JobInstance> {
    const orm = await MikroORM.init(databaseOptions(db));
    orms.push(orm);
    const made = await jobInstance(orm, clock, { instanceId, concurrency, sqlite: backend === 'sqlite' });
    instances.push(made);
    return made;
  }

  const rowsOf = () => orms[0].em.fork().find(Job, {}, { orderBy: { createdAt: 'asc' } });

  beforeEach(async () => {
    db = await createTestDatabase(backend);
    clock = new FakeClock();
    const orm = await MikroORM.init(databaseOptions(db));
    await orm.getMigrator().up();
    await orm.close(true);
  });

  afterEach(async () => {
    for (const made of instances.splice(0)) await made.workers.stop(0);
    for (const orm of orms.splice(0)) await orm.close(true);
    await db?.drop();
  });

  it('two instances with several workers each run every one of 60 jobs exactly once', async () => {
    const a = await instance('instance-a');
    const b = await instance('instance-b');
    const runs = new Map<number, string[]>();
    const all = reach(60, () => [...runs.values()].flat().length);
    for (const [made, name] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      made.handlers.register(counted, async ({ n }) => {
        await new Promise((resolve) => setImmediate(resolve));
        runs.set(n, [...(runs.get(n) ?? []), name]);
        all.poke();
      });
    }
    await a.workers.start();
    await b.workers.start();

    const em = orms[0].em.fork();
    await em.transactional(async (tx) => {
      for (let n = 0; n < 60; n++) a.queue.enqueue(tx, counted, { n });
    });
    b.workers.wake();
    await all.reached;
    await Promise.all([a.workers.idle(), b.workers.idle()]);

    expect([...runs.keys()].sort((x, y) => x - y)).toEqual([...Array(60).keys()]);
    expect([...runs.values()].filter((by) => by.length !== 1)).toEqual([]);
    expect(await rowsOf()).toEqual([]);
  });

  it('a job whose worker died (its lease not renewed) runs again once the lease has expired', async () => {
    const dead = await instance('instance-dead');
    const alive = await instance('instance-alive');
    const ran: number[] = [];
    alive.handlers.register(counted, async ({ n }) => void ran.push(n));
    await alive.queue.enqueueNow(orms[0].em, counted, { n: 7 });
    // The dead instance claimed it and then stopped existing: nothing renews or finishes its lease.
    expect(await dead.rows.claim([counted.name])).toMatchObject({ attempts: 1 });
    await alive.workers.start();

    await alive.workers.idle();
    expect(ran).toEqual([]);
    expect(await rowsOf()).toEqual([expect.objectContaining({ state: 'running', leaseOwner: 'instance-dead' })]);

    clock.advance(LEASE_MS + 1);
    await alive.workers.idle();
    expect(ran).toEqual([7]);
    expect(await rowsOf()).toEqual([]);
  });

  it('a restarted instance takes back the jobs its previous process held, at once', async () => {
    const before = await instance('instance-a');
    await before.queue.enqueueNow(orms[0].em, counted, { n: 1 });
    await before.rows.claim([counted.name]);
    const after = await instance('instance-a');
    const ran: number[] = [];
    after.handlers.register(counted, async ({ n }) => void ran.push(n));

    await after.workers.start();
    await after.workers.idle();

    expect(ran).toEqual([1]);
  });

  it('a failing job is retried with exponential backoff and ends `failed` with the reason after its last attempt', async () => {
    const a = await instance('instance-a');
    let calls = 0;
    a.handlers.register(
      counted,
      async () => {
        calls++;
        throw new Error(`SMTP said no (${calls})`);
      },
      { maxAttempts: 3 },
    );
    await a.workers.start();
    await a.queue.enqueueNow(orms[0].em, counted, { n: 1 });
    const enqueuedAt = clock.now().getTime();

    await a.workers.idle();
    let [row] = await rowsOf();
    expect(row).toMatchObject({ state: 'queued', attempts: 1, lastError: 'SMTP said no (1)', leaseOwner: null });
    expect(row.runAfter.getTime()).toBe(enqueuedAt + retryDelayMs(1));

    clock.advance(retryDelayMs(1) - 1);
    await a.workers.idle();
    expect(calls).toBe(1);
    clock.advance(1);
    await a.workers.idle();
    [row] = await rowsOf();
    expect(row).toMatchObject({ state: 'queued', attempts: 2, lastError: 'SMTP said no (2)' });
    expect(row.runAfter.getTime()).toBe(clock.now().getTime() + retryDelayMs(2));
    expect(retryDelayMs(2)).toBe(2 * retryDelayMs(1));

    clock.advance(retryDelayMs(2));
    await a.workers.idle();
    [row] = await rowsOf();
    expect(row).toMatchObject({ state: 'failed', attempts: 3, lastError: 'SMTP said no (3)', leaseOwner: null, leaseUntil: null });

    clock.advance(24 * 3_600_000);
    await a.workers.idle();
    expect(calls).toBe(3);
    expect(await a.rows.counts()).toEqual({ queued: 0, running: 0, failed: 1 });

    expect(await a.rows.retryFailed()).toBe(1);
    a.workers.wake();
    await a.workers.idle();
    expect(calls).toBe(4);
    expect(DEFAULT_MAX_ATTEMPTS).toBe(5);
  });

  it("a job given up calls its handler's onGiveUp once, with the payload and the last error; a failing onGiveUp leaves the job failed", async () => {
    const a = await instance('instance-a');
    const gaveUp: Array<{ payload: { n: number }; lastError: string }> = [];
    let calls = 0;
    a.handlers.register(
      counted,
      async () => {
        calls++;
        throw new Error(`storage down (${calls})`);
      },
      {
        maxAttempts: 2,
        onGiveUp: async (payload, lastError) => {
          gaveUp.push({ payload, lastError });
          if (payload.n === 2) throw new Error('could not put it right');
        },
      },
    );
    await a.workers.start();
    await a.queue.enqueueNow(orms[0].em, counted, { n: 1 });
    await a.workers.idle();
    expect(gaveUp).toEqual([]);

    clock.advance(retryDelayMs(1));
    await a.workers.idle();
    expect(gaveUp).toEqual([{ payload: { n: 1 }, lastError: 'storage down (2)' }]);
    clock.advance(24 * 3_600_000);
    await a.workers.idle();
    expect(gaveUp).toHaveLength(1);

    await a.queue.enqueueNow(orms[0].em, counted, { n: 2 });
    a.workers.wake();
    await a.workers.idle();
    clock.advance(retryDelayMs(1));
    await a.workers.idle();
    expect(gaveUp.map(({ payload }) => payload.n)).toEqual([1, 2]);
    expect(await a.rows.counts()).toEqual({ queued: 0, running: 0, failed: 2 });
  });

  it('enqueue belongs to its transaction: a rollback leaves no job, a commit wakes the workers', async () => {
    const a = await instance('instance-a');
    const ran = reach(1, () => done.length);
    const done: number[] = [];
    a.handlers.register(counted, async ({ n }) => {
      done.push(n);
      ran.poke();
    });
    await a.workers.start();
    await a.workers.idle();

    await expect(
      orms[0].em.fork().transactional(async (tx) => {
        a.queue.enqueue(tx, counted, { n: 1 });
        await tx.flush();
        throw new Error('the data it belonged to was refused');
      }),
    ).rejects.toThrow('refused');
    expect(await rowsOf()).toEqual([]);

    await orms[0].em.fork().transactional(async (tx) => a.queue.enqueue(tx, counted, { n: 2 }));
    // No wake() and no poll (a minute away): only the commit can have woken the worker.
    await ran.reached;
    expect(done).toEqual([2]);
  });

  it('a sealed payload is stored encrypted and reaches its handler intact', async () => {
    const a = await instance('instance-a');
    const got: string[] = [];
    a.handlers.register(secretive, async ({ link }) => void got.push(link));
    await a.queue.enqueueNow(orms[0].em, secretive, { link: 'https://example.org/reset-password/TOKEN123' });

    const [row] = await rowsOf();
    expect(row.payload).not.toContain('TOKEN123');
    expect(row.payload).not.toContain('example.org');

    await a.workers.start();
    await a.workers.idle();
    expect(got).toEqual(['https://example.org/reset-password/TOKEN123']);
  });

  it('stopping (SIGTERM) claims nothing more and lets the running job finish', async () => {
    const a = await instance('instance-a');
    const ran: number[] = [];
    let release!: () => void;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const held = new Promise<void>((resolve) => (release = resolve));
    a.handlers.register(counted, async ({ n }) => {
      started();
      await held;
      ran.push(n);
    });
    await a.workers.start();
    await a.queue.enqueueNow(orms[0].em, counted, { n: 1 });
    await running;

    let stopped = false;
    const stopping = a.workers.stop(60_000).then(() => (stopped = true));
    await a.queue.enqueueNow(orms[0].em, counted, { n: 2 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    release();
    await stopping;

    expect(ran).toEqual([1]);
    expect(await rowsOf()).toEqual([expect.objectContaining({ state: 'queued', attempts: 0 })]);
  });

  it('a job still running when the grace period ends keeps its lease: nothing is released half-done', async () => {
    const a = await instance('instance-a');
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    a.handlers.register(counted, () => {
      started();
      return new Promise<void>(() => undefined);
    });
    await a.workers.start();
    await a.queue.enqueueNow(orms[0].em, counted, { n: 1 });
    await running;

    await a.workers.stop(0);

    expect(await rowsOf()).toEqual([expect.objectContaining({ state: 'running', attempts: 1, leaseOwner: 'instance-a' })]);
  });

  it('recurring work runs on one instance of two, once per interval', async () => {
    const a = await instance('instance-a');
    const b = await instance('instance-b');
    const runs: string[] = [];
    let release!: () => void;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const held = new Promise<void>((resolve) => (release = resolve));
    for (const [made, name] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      made.recurring.every('tick', 60_000, async () => {
        runs.push(name);
        started();
        await held;
      });
    }
    await a.workers.start();
    await b.workers.start();
    expect(await rowsOf()).toEqual([expect.objectContaining({ id: 'recurring:tick', state: 'queued' })]);

    clock.advance(60_000);
    a.workers.wake();
    b.workers.wake();
    await running;
    // While one instance runs it, the other finds nothing to do.
    await Promise.all([a.workers.idle(), b.workers.idle()].slice(runs[0] === 'a' ? 1 : 0, runs[0] === 'a' ? 2 : 1));
    expect(runs).toHaveLength(1);
    release();
    await Promise.all([a.workers.idle(), b.workers.idle()]);
    expect(runs).toHaveLength(1);
    expect(await rowsOf()).toEqual([
      expect.objectContaining({ state: 'queued', runAfter: new Date(clock.now().getTime() + 60_000), leaseOwner: null }),
    ]);

    clock.advance(60_000);
    await Promise.all([a.workers.idle(), b.workers.idle()]);
    expect(runs).toHaveLength(2);
  });
});
