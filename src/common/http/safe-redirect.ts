import { hasControlCharacter } from '../control-characters';

const BASE = 'http://photosphere.invalid';

/**
 * Turns a user-supplied "come back here" value into a same-site path, or undefined. Rejects absolute URLs,
 * protocol-relative `//host`, backslash tricks and control characters, so a login link can never send someone away.
 */
export function localPath(candidate: unknown): string | undefined {
  if (typeof candidate !== 'string' || candidate.length > 2048) return undefined;
  if (!candidate.startsWith('/') || candidate.startsWith('//') || candidate.includes('\\')) return undefined;
  if (hasControlCharacter(candidate)) return undefined;
  const url = new URL(candidate, BASE);
  const path = url.pathname + url.search + url.hash;
  // Dot segments resolve after the checks above: "/..//evil.example" becomes "//evil.example".
  if (url.origin !== BASE || path.startsWith('//')) return undefined;
  return path;
}
