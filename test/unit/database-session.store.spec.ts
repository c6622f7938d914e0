import { promisify } from 'node:util';
import { MikroORM } from '@mikro-orm/core';
import { SessionData } from 'express-session';
import { AppConfig } from '../../src/config/app-config';
import { databaseOptions } from '../../src/database/database-options';
import { DatabaseSessionStore } from '../../src/sessions/database-session.store';
import { Session } from '../../src/sessions/session.entity';
import { FakeClock } from '../support/fake-clock';
import { backends, createTestDatabase, TestDatabase } from '../support/test-database';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const config = { sessionIdleMs: 30 * MINUTE, sessionAbsoluteMs: 12 * HOUR } as AppConfig;

function sessionData(extra: Partial<SessionData> = {}): SessionData {
  return {
    cookie: { originalMaxAge: null, path: '/', httpOnly: true, sameSite: 'lax', secure: false },
    csrfToken: 'csrf-token',
    ...extra,
  } as SessionData;
}

describe.each(backends())(`${DatabaseSessionStore.name} [%s]`, (backend) => {
  let db: TestDatabase;
  let orm: MikroORM;
  let clock: FakeClock;
  let sut: DatabaseSessionStore;
  let get: (sid: string) => Promise<SessionData | null | undefined>;
  /** What express-session does with the cookie of a request: the stored session, as the object the request works on. */
  let load: (sid: string) => Promise<SessionData | undefined>;
  let set: (sid: string, session: SessionData) => Promise<void>;
  let touch: (sid: string, session: SessionData) => Promise<void>;
  let destroy: (sid: string) => Promise<void>;

  const rowCount = () => orm.em.fork().count(Session);

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    orm = await MikroORM.init(databaseOptions(db));
    await orm.getMigrator().up();
    clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000); // whole seconds: MySQL's datetime keeps no milliseconds
    sut = new DatabaseSessionStore(orm, clock, config);
    get = promisify(sut.get.bind(sut));
    load = promisify(sut.load.bind(sut)) as typeof load;
    set = promisify(sut.set.bind(sut));
    touch = promisify(sut.touch.bind(sut));
    destroy = promisify(sut.destroy.bind(sut));
  });

  beforeEach(async () => {
    await orm.em.fork().nativeDelete(Session, {});
  });

  afterAll(async () => {
    await orm?.close(true);
    await db?.drop();
  });

  describe('set and get', () => {
    it('round-trips the session data, cookie included', async () => {
      const data = sessionData({ passport: { user: 'user-1' }, flash: [] });
      await set('sid-1', data);
      expect(await get('sid-1')).toEqual(data);
    });

    it('returns null for an unknown sid', async () => {
      expect(await get('unknown')).toBeNull();
    });

    it('replaces the data of an existing session', async () => {
      await set('sid-1', sessionData({ csrfToken: 'first' }));
      const loaded = (await load('sid-1'))!;
      loaded.csrfToken = 'second';
      await set('sid-1', loaded);
      expect((await get('sid-1'))?.csrfToken).toBe('second');
      expect(await rowCount()).toBe(1);
    });

    it('stores a new session, and the same request saving it again updates it', async () => {
      const fresh = sessionData({ csrfToken: 'first' });
      await set('sid-1', fresh);
      fresh.csrfToken = 'second';
      await set('sid-1', fresh);
      expect(await get('sid-1')).toEqual(sessionData({ csrfToken: 'second' }));
      expect(await rowCount()).toBe(1);
    });
  });

  describe('a session ended while a request still holds it', () => {
    it('stays ended when that request saves it (destroyed: logout, regenerate)', async () => {
      await set('sid-1', sessionData({ passport: { user: 'user-1' } }));
      const held = (await load('sid-1'))!;
      await destroy('sid-1');
      held.flash = [{ type: 'success', message: '1 photo uploaded.' }];
      await set('sid-1', held);
      expect(await get('sid-1')).toBeNull();
      expect(await rowCount()).toBe(0);
    });

    it("stays ended when that request saves it (all of the user's sessions ended)", async () => {
      await set('phone', sessionData({ passport: { user: 'user-1' } }));
      await set('laptop', sessionData({ passport: { user: 'user-1' } }));
      const held = (await load('phone'))!;
      await sut.destroyAllOf('user-1');
      await set('phone', held);
      await touch('phone', held);
      expect(await rowCount()).toBe(0);
    });

    it('stays ended once pruned, however a request saves it', async () => {
      await set('sid-1', sessionData());
      const held = (await load('sid-1'))!;
      clock.advance(31 * MINUTE);
      await sut.prune();
      await set('sid-1', held);
      expect(await rowCount()).toBe(0);
    });
  });

  describe('idle expiry', () => {
    it('keeps a session until just before the idle timeout', async () => {
      await set('sid-1', sessionData());
      clock.advance(30 * MINUTE - 1);
      expect(await get('sid-1')).not.toBeNull();
    });

    it('expires a session right after the idle timeout', async () => {
      await set('sid-1', sessionData());
      clock.advance(30 * MINUTE + 1);
      expect(await get('sid-1')).toBeNull();
    });

    it('pushes the expiry forward on touch', async () => {
      const data = sessionData();
      await set('touched', data);
      await set('untouched', data);
      clock.advance(20 * MINUTE);
      await touch('touched', data);
      clock.advance(20 * MINUTE);
      expect(await get('touched')).toEqual(data);
      expect(await get('untouched')).toBeNull();
    });

    it('writes a touch only once the expiry moves by a minute or more', async () => {
      const data = sessionData();
      await set('sid-1', data);
      const storedExpiry = async () => (await orm.em.fork().findOneOrFail(Session, { sid: 'sid-1' })).expiresAt.getTime();
      const written = await storedExpiry();
      clock.advance(MINUTE - 1);
      await touch('sid-1', data);
      expect(await storedExpiry()).toBe(written);
      clock.advance(1);
      await touch('sid-1', data);
      expect(await storedExpiry()).toBe(written + MINUTE);
    });
  });

  it('ends an active session at the absolute lifetime counted from login', async () => {
    const data = sessionData({ authenticatedAt: clock.now().getTime(), passport: { user: 'user-1' } });
    await set('sid-1', data);
    for (let elapsed = 20 * MINUTE; elapsed < 12 * HOUR; elapsed += 20 * MINUTE) {
      clock.advance(20 * MINUTE);
      await touch('sid-1', data);
      expect(await get('sid-1')).not.toBeNull();
    }
    clock.advance(20 * MINUTE);
    await touch('sid-1', data);
    expect(await get('sid-1')).toBeNull();
  });

  it('destroys a session', async () => {
    await set('sid-1', sessionData());
    await set('sid-2', sessionData());
    await destroy('sid-1');
    expect(await get('sid-1')).toBeNull();
    expect(await get('sid-2')).not.toBeNull();
  });

  describe(DatabaseSessionStore.prototype.destroyAllOf.name, () => {
    it("removes every session of the user and leaves everyone else's", async () => {
      await set('phone', sessionData({ passport: { user: 'user-1' } }));
      await set('laptop', sessionData({ passport: { user: 'user-1' } }));
      await set('other-user', sessionData({ passport: { user: 'user-2' } }));
      await set('anonymous', sessionData());

      expect(await sut.destroyAllOf('user-1')).toBe(2);

      expect(await get('phone')).toBeNull();
      expect(await get('laptop')).toBeNull();
      expect(await get('other-user')).not.toBeNull();
      expect(await get('anonymous')).not.toBeNull();
      expect(await rowCount()).toBe(2);
    });
  });

  describe(DatabaseSessionStore.prototype.prune.name, () => {
    it('deletes the expired rows and returns their count', async () => {
      await set('old-1', sessionData());
      await set('old-2', sessionData());
      clock.advance(20 * MINUTE);
      await set('fresh', sessionData());
      clock.advance(10 * MINUTE);

      expect(await sut.prune()).toBe(2);

      expect(await rowCount()).toBe(1);
      expect(await get('fresh')).not.toBeNull();
    });

    it('deletes nothing when no session has expired', async () => {
      await set('sid-1', sessionData());
      expect(await sut.prune()).toBe(0);
      expect(await rowCount()).toBe(1);
    });
  });
});
