import { BadRequestException, ForbiddenException } from '@nestjs/common';
import busboy from 'busboy';
import type { Request } from 'express';
import type { Readable } from 'node:stream';
import { CSRF_FIELD, CSRF_REFUSED } from '../csrf/csrf.guard';

export interface IncomingFile {
  filename: string;
  /** The file's bytes as they arrive; `truncated` is set on it when the size limit cut it short. */
  stream: Readable & { truncated?: boolean };
}

export interface MultipartOptions {
  field: string;
  maxFiles: number;
  maxFileBytes: number;
  /** Whether the request already proved its CSRF token (header); otherwise a `_csrf` field must come before any file. */
  csrfVerified: boolean;
  verifyCsrf(token: string): boolean;
}

export interface MultipartFiles extends AsyncIterable<IncomingFile> {
  /** True once more files were sent than `maxFiles`; the extra ones were not read. */
  readonly tooMany: boolean;
}

const DONE = Symbol('done');
const UNREADABLE = 'The upload could not be read. Please try again.';

/**
 * Streams the files of one multipart field, one at a time: the next file is parsed only after the caller has
 * consumed the previous one, so memory stays flat whatever the sizes. Files of other fields are discarded unread.
 */
export function multipartFiles(req: Request, options: MultipartOptions): MultipartFiles {
  if (!req.is('multipart/form-data')) throw new BadRequestException('Choose one or more photos to upload.');
  const parser = parserFor(req, options);
  const queue: Array<IncomingFile | Error | typeof DONE> = [];
  let wake: (() => void) | undefined;
  const push = (item: IncomingFile | Error | typeof DONE) => {
    queue.push(item);
    wake?.();
  };
  let csrfVerified = options.csrfVerified;
  const state = { tooMany: false };

  parser.on('field', (name, value) => {
    if (name === CSRF_FIELD) csrfVerified ||= options.verifyCsrf(value);
  });
  let current: Readable | undefined;
  parser.on('file', (name, stream, info) => {
    if (!csrfVerified) {
      stream.resume();
      return push(new ForbiddenException(CSRF_REFUSED));
    }
    if (name !== options.field) return void stream.resume();
    current = stream;
    push({ filename: info.filename ?? '', stream });
  });
  parser.on('filesLimit', () => (state.tooMany = true));
  parser.on('partsLimit', () => (state.tooMany = true));
  parser.on('error', () => push(new BadRequestException(UNREADABLE)));
  parser.on('close', () => push(DONE));
  req.on('close', () => {
    if (req.complete) return;
    const interrupted = new BadRequestException('The upload was interrupted before it finished.');
    current?.destroy(interrupted);
    push(interrupted);
  });
  req.pipe(parser);

  async function* files(): AsyncGenerator<IncomingFile> {
    try {
      for (;;) {
        while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        const item = queue.shift()!;
        if (item === DONE) return;
        if (item instanceof Error) throw item;
        yield item;
        item.stream.resume(); // whatever the caller left unread
      }
    } finally {
      req.unpipe(parser);
      req.resume();
    }
  }

  return {
    get tooMany() {
      return state.tooMany;
    },
    [Symbol.asyncIterator]: files,
  };
}

/** busboy throws at once on a Content-Type it cannot use (multipart without a boundary): that is the client's error. */
function parserFor(req: Request, options: MultipartOptions): busboy.Busboy {
  try {
    return busboy({
      headers: req.headers,
      defParamCharset: 'utf8', // browsers send file names as UTF-8
      // busboy flags a file that reaches its limit as truncated, so the limit is one byte past the largest allowed file.
      limits: { fileSize: options.maxFileBytes + 1, files: options.maxFiles, fields: 20, fieldSize: 1024, parts: options.maxFiles + 20 },
    });
  } catch {
    throw new BadRequestException(UNREADABLE);
  }
}
