/** Segments start with a letter or digit, so `.`, `..` and hidden names such as `.incoming` can never be keys. */
const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;
const MAX_KEY_LENGTH = 1024;

/** A blob key (or list prefix) that could escape the storage root or mean different things to different adapters. */
export class InvalidBlobKeyError extends Error {}

/** Throws unless the key is `segment/segment/…` of letters, digits, `.`, `_` and `-`, with no `..`, `/…`, `\` or empty segment. */
export function assertSafeKey(key: string): void {
  if (typeof key !== 'string' || key.length > MAX_KEY_LENGTH || !SAFE_KEY.test(key) || key.split('/').includes('..')) {
    throw new InvalidBlobKeyError(`Refusing unsafe blob key ${JSON.stringify(String(key).slice(0, 100))}`);
  }
}

/** A list prefix is '' (everything) or a safe key, optionally ending in one `/`. */
export function assertSafePrefix(prefix: string): void {
  if (prefix === '') return;
  assertSafeKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}
