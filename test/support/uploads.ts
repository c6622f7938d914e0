import { createHash } from 'node:crypto';
import type request from 'supertest';
import { Browser } from './browser';

export interface UploadFile {
  name: string;
  data: Buffer;
}

/** Posts files as the gallery's form does: `_csrf` first, then the `photos` files (plain form, or htmx with the header). */
export async function upload(browser: Browser, files: UploadFile[], options: { htmx?: boolean } = {}) {
  if (!browser.csrfToken) await browser.get('/');
  let req = browser.agent.post('/upload-photos').redirects(0);
  if (options.htmx) req = req.set({ 'HX-Request': 'true', 'X-CSRF-Token': browser.csrfToken! });
  else req = req.field('_csrf', browser.csrfToken!);
  for (const file of files) req = req.attach('photos', file.data, { filename: file.name, contentType: 'application/octet-stream' });
  return req;
}

/**
 * Posts files (as htmx does, CSRF token in the header) with a hand-built multipart body, so file names arrive exactly
 * as given: form-data (supertest) strips directories from names. `browserEscaping` escapes CR, LF and `"` as the
 * HTML standard tells browsers to; without it the names go raw, as a hostile client may send them.
 */
export async function uploadRaw(browser: Browser, files: UploadFile[], options: { browserEscaping: boolean }) {
  if (!browser.csrfToken) await browser.get('/');
  const boundary = `----photosphere${Date.now()}`;
  const escape = (name: string) => (options.browserEscaping ? name.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22') : name);
  const body = Buffer.concat([
    ...files.flatMap((file) => [
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="photos"; filename="${escape(file.name)}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      file.data,
      Buffer.from('\r\n'),
    ]),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  return browser.agent
    .post('/upload-photos')
    .set({ 'HX-Request': 'true', 'X-CSRF-Token': browser.csrfToken!, 'Content-Type': `multipart/form-data; boundary=${boundary}` })
    .redirects(0)
    .send(body);
}

/** The message of the flash shown after a plain upload (follows the redirect to the gallery). */
export async function flashAfter(browser: Browser): Promise<string> {
  const page = await browser.get('/');
  const match = /<div class="alert [^"]*"[^>]*>\s*([\s\S]*?)\s*<button/.exec(page.text);
  return match ? decodeEntities(match[1]) : '';
}

export function photoIds(html: string): string[] {
  return [...html.matchAll(/data-photo-id="([0-9a-f-]{36})"/g)].map((m) => m[1]);
}

export function decodeEntities(html: string): string {
  return html
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&#x3D;/g, '=')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** supertest parser that keeps a binary body as a Buffer. */
export function asBuffer(res: request.Response, done: (error: Error | null, body: Buffer) => void) {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
}
