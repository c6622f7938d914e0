import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Request } from 'express';
import { multipartFiles, UPLOAD_CUT_OFF } from '../../src/common/http/multipart-files';
import { spool } from '../../src/photos/upload-spool';

const BOUNDARY = 'spooltest';
const part = (name: string, data: Buffer) =>
  Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="photos"; filename="${name}"\r\n\r\n`),
    data,
    Buffer.from('\r\n'),
  ]);
/** Two files, cut in the middle of the second. */
const body = Buffer.concat([part('a.jpg', Buffer.alloc(500, 1)), part('b.jpg', Buffer.alloc(400, 2))]).subarray(0, 800);

/** Just enough of an Express request for the multipart reader: the body arrives whole, then ends. */
function requestWith(bytes: Buffer): Request {
  const req = Object.assign(new PassThrough(), {
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    is: () => 'multipart/form-data',
    get: () => undefined,
    complete: true,
  });
  setImmediate(() => req.end(bytes));
  return req as unknown as Request;
}

describe('spooling the files of an upload cut off mid-file', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'photosphere-spool-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves no temporary file, even for a file that failed before spooling it began (many times over)', async () => {
    const outcomes = new Set<string>();
    for (let round = 0; round < 600; round++) {
      const files = multipartFiles(requestWith(body), {
        field: 'photos',
        maxFiles: 10,
        maxFileBytes: 1_000_000,
        acceptsCsrfToken: () => true,
        idleMs: 30_000,
      });
      try {
        for await (const file of files) {
          // The server is busy with the previous file meanwhile, for a varying while: the cut meets each file at another moment.
          await new Promise((resolve) => setTimeout(resolve, round % 3));
          await (await spool(file.stream, dir)).remove();
        }
        outcomes.add('accepted');
      } catch (error) {
        outcomes.add((error as Error).message);
      }
    }
    expect([...outcomes]).toEqual([UPLOAD_CUT_OFF]);
    expect(readdirSync(dir)).toEqual([]);
  });
});
