import { AttemptCounter } from '../../src/common/throttle/attempt-counter';
import { ClockThrottlerStorage } from '../../src/common/throttle/clock-throttler.storage';
import { ExpiringMap } from '../../src/common/throttle/expiring-map';
import { FakeClock } from '../support/fake-clock';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('memory of the rate-limit counters', () => {
  let clock: FakeClock;

  beforeEach(() => {
    clock = new FakeClock();
  });

  describe(ExpiringMap.name, () => {
    it('sweeps expired keys that nobody asks for again', () => {
      const map = new ExpiringMap<number>(clock);
      for (let i = 0; i < 10_000; i++) map.set(`sprayed-${i}`, i, clock.now().getTime() + MINUTE);
      expect(map.size).toBe(10_000);
      clock.advance(MINUTE);
      map.set('next', 1, clock.now().getTime() + MINUTE);
      expect(map.size).toBe(1);
      expect(map.get('sprayed-0')).toBeUndefined();
    });

    it('holds at most maxKeys, dropping the key set least recently', () => {
      const map = new ExpiringMap<string>(clock, 3);
      const later = clock.now().getTime() + HOUR;
      for (const key of ['a', 'b', 'c']) map.set(key, key, later);
      map.set('a', 'a again', later);
      map.set('d', 'd', later);
      expect(map.size).toBe(3);
      expect(map.get('b')).toBeUndefined();
      expect([map.get('a'), map.get('c'), map.get('d')]).toEqual(['a again', 'c', 'd']);
    });

    it('never returns an expired entry, even one not yet swept', () => {
      const map = new ExpiringMap<string>(clock);
      map.set('long', 'lives an hour', clock.now().getTime() + HOUR);
      map.set('short', 'lives a minute', clock.now().getTime() + MINUTE);
      clock.advance(MINUTE);
      expect(map.get('short')).toBeUndefined();
      expect(map.get('long')).toBe('lives an hour');
    });
  });

  describe(AttemptCounter.name, () => {
    it('forgets 10,000 sprayed keys once their hour is over, without their being touched again', () => {
      const counter = new AttemptCounter(clock, HOUR);
      for (let i = 0; i < 10_000; i++) counter.record(`unknown-user-${i}`);
      clock.advance(HOUR);
      counter.record('someone');
      expect(counter.size).toBe(1);
    });

    it('keeps at most maxKeys keys, dropping the least recently counted', () => {
      const counter = new AttemptCounter(clock, HOUR, 100);
      counter.record('victim');
      for (let i = 0; i < 99; i++) counter.record(`sprayed-${i}`);
      counter.record('victim');
      counter.record('one more');
      expect(counter.size).toBe(100);
      expect(counter.count('victim')).toBe(2);
      expect(counter.count('sprayed-0')).toBe(0);
    });

    it('takes back one counted event', () => {
      const counter = new AttemptCounter(clock, HOUR);
      counter.record('key');
      const second = counter.record('key');
      counter.forget('key', second);
      expect(counter.count('key')).toBe(1);
    });
  });

  describe(ClockThrottlerStorage.name, () => {
    it('forgets the windows of 10,000 addresses once they are over, without their being touched again', async () => {
      const storage = new ClockThrottlerStorage(clock);
      for (let i = 0; i < 10_000; i++) await storage.increment(`address-${i}`, MINUTE, 10, MINUTE);
      clock.advance(MINUTE);
      await storage.increment('someone', MINUTE, 10, MINUTE);
      expect(storage.size).toBe(1);
    });

    it('keeps at most maxKeys windows', async () => {
      const storage = new ClockThrottlerStorage(clock, 100);
      for (let i = 0; i < 1_000; i++) await storage.increment(`address-${i}`, MINUTE, 10, MINUTE);
      expect(storage.size).toBe(100);
    });

    it('still blocks over the limit until the block is over', async () => {
      const storage = new ClockThrottlerStorage(clock);
      for (let i = 0; i < 2; i++) expect((await storage.increment('client', MINUTE, 2, 5 * MINUTE)).isBlocked).toBe(false);
      expect(await storage.increment('client', MINUTE, 2, 5 * MINUTE)).toMatchObject({ isBlocked: true, timeToBlockExpire: 300 });
      clock.advance(2 * MINUTE);
      expect(await storage.increment('client', MINUTE, 2, 5 * MINUTE)).toMatchObject({ isBlocked: true, timeToBlockExpire: 180 });
      clock.advance(3 * MINUTE);
      expect(await storage.increment('client', MINUTE, 2, 5 * MINUTE)).toMatchObject({ isBlocked: false, totalHits: 1 });
    });
  });
});
