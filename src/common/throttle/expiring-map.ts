import { Clock } from '../time/clock';

/** Keys one map holds at most unless told otherwise: 20–35 MB of small counters when full. */
export const DEFAULT_MAX_KEYS = 100_000;

interface Entry<V> {
  value: V;
  expiresAt: number;
}

/**
 * A map for counters that must not grow without end, on the app's Clock. Every `set` moves its key to the newest
 * end and sweeps expired entries from the oldest end, stopping at the first live one, so expired keys go even when
 * nobody asks for them again, at an amortised constant cost. When `maxKeys` is reached, the key set least recently
 * goes: callers keep what an attacker could fill in a map of its own, so that filling it evicts only the
 * attacker's own counters (see AccountLoginThrottle).
 *
 * Entries whose lifetimes differ (a minute beside an hour) may outlive their expiry behind a longer-lived one;
 * `get` never returns them, and the cap bounds them like any other.
 */
export class ExpiringMap<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(
    private readonly clock: Clock,
    private readonly maxKeys = DEFAULT_MAX_KEYS,
  ) {
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError(`maxKeys must be a positive integer (got ${maxKeys}).`);
  }

  /** Keys held now, expired ones not yet swept included. */
  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry?.value;
  }

  /** Stores `value` until `expiresAt` (epoch ms), as the newest key. */
  set(key: string, value: V, expiresAt: number): void {
    this.entries.delete(key);
    this.sweep();
    if (this.entries.size >= this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, expiresAt });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now) return;
      this.entries.delete(key);
    }
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}
