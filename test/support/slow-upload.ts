import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Browser } from './browser';
import { UploadFile } from './uploads';

export interface SlowUploadResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface SlowUpload {
  /** Bytes of the body sent so far. */
  readonly sent: number;
  /** Resolves once the server has answered (even while the body is still being held back). */
  readonly response: Promise<SlowUploadResponse>;
  /** Sends the rest of the body, `chunkBytes` at a time every `everyMs`, then ends the request. */
  finish(options?: { chunkBytes?: number; everyMs?: number }): Promise<void>;
  /** Gives up: closes the connection without sending the rest. */
  abort(): void;
}

/**
 * A real multipart upload from `browser` (its cookie and CSRF token) to a listening app at `url`, streamed by hand:
 * the headers and the first `firstBytes` of the body go out at once, and the rest only when `finish` is called, so a
 * test can hold uploads in flight, like a client on a slow line.
 */
export function slowUpload(
  url: string,
  browser: Browser,
  file: UploadFile,
  options: { firstBytes?: number; htmx?: boolean } = {},
): SlowUpload {
  const boundary = `----photosphere${randomBytes(8).toString('hex')}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${browser.csrfToken}\r\n`),
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="photos"; filename="${file.name}"\r\nContent-Type: image/jpeg\r\n\r\n`,
    ),
    file.data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const req = httpRequest(`${url}/upload-photos`, {
    method: 'POST',
    headers: {
      'Content-Type': `multipart/form-data; boundary=${boundary}`,
      'Content-Length': String(body.length),
      Cookie: browser.sessionCookie() ?? '',
      'X-Forwarded-For': browser.ip,
      ...(options.htmx ? { 'HX-Request': 'true', 'X-CSRF-Token': browser.csrfToken ?? '' } : {}),
    },
  });
  let sent = Math.min(options.firstBytes ?? 1024, body.length);
  const response = new Promise<SlowUploadResponse>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  req.write(body.subarray(0, sent));
  return {
    get sent() {
      return sent;
    },
    response,
    async finish({ chunkBytes = body.length, everyMs = 0 } = {}) {
      while (sent < body.length && !req.destroyed) {
        const chunk = body.subarray(sent, sent + chunkBytes);
        sent += chunk.length;
        if (!req.write(chunk)) await new Promise((resolve) => (req.once('drain', resolve), req.once('close', resolve)));
        if (everyMs > 0 && sent < body.length) await new Promise((resolve) => setTimeout(resolve, everyMs));
      }
      req.end();
    },
    abort() {
      req.destroy();
    },
  };
}
