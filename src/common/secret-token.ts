import { createHash, randomBytes } from 'node:crypto';

/** A secret for an emailed or shared link: 32 random bytes, URL-safe. Only its hash is ever stored. */
export const newSecretToken = () => randomBytes(32).toString('base64url');

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * A run of 20 or more characters that may be a capability token: base64url (the alphabet of newSecretToken, 43
 * characters) or hex, percent-escapes included, wherever it sits in a path segment — so a link with a stray character
 * after the token (`…/<token>)` from a mail client) is caught too.
 */
const TOKEN_LIKE = /(?:[A-Za-z0-9_-]|%[0-9A-Fa-f]{2}){20,}/g;

/** Lower-case words joined by `-` or `_`, like route names (`forgot-password`): never a token, so kept. */
const WORDS = /^[a-z]+(?:[-_][a-z]+)*$/;

/**
 * One rule for every link that carries a secret (reset, invitation, any later share link): each token-like run is
 * replaced with `[redacted]`, without a list of routes to keep up to date. Ids such as photo UUIDs look the same and
 * are masked too; that is deliberate — a future link whose capability is a UUID stays out of the log as well.
 */
export function maskSecretTokens(path: string): string {
  return path.replace(TOKEN_LIKE, (run) => (WORDS.test(run) ? run : '[redacted]'));
}
