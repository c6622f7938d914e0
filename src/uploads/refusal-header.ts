/**
 * A refusal sentence as an HTTP header value: `%`, control characters and everything outside printable ASCII are
 * percent-encoded (UTF-8), the rest is left as it reads, so `decodeURIComponent(value)` gives the sentence back exactly
 * ("caf%C3%A9.txt is not a supported image (…)." for "café.txt …").
 */
export function headerSafe(sentence: string): string {
  return sentence.replace(/[^\x20-\x24\x26-\x7e]+/gu, (run) => encodeURIComponent(run));
}
