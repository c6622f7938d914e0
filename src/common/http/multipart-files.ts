import { BadRequestException, ForbiddenException, HttpException, RequestTimeoutException } from '@nestjs/common';
import busboy from 'busboy';
import type { Request } from 'express';
import { PassThrough, Readable } from 'node:stream';
import { CSRF_FIELD, CSRF_HEADER, CSRF_REFUSED } from '../csrf/csrf.guard';

export interface IncomingFile {
  filename: string;
  /**
   * The file's bytes as they arrive; `truncated` is set on it when the size limit cut it short. When the upload fails
   * while the file is arriving (cut off, stalled, unreadable), the stream fails with the HttpException that says why.
   */
  stream: Readable & { truncated?: boolean };
}

export interface MultipartOptions {
  field: string;
  maxFiles: number;
  maxFileBytes: number;
  /**
   * Whether a CSRF token is this request's (CsrfTokens.accepts). The reader asks it about the `X-CSRF-Token` header
   * (htmx); without a good one, a `_csrf` field must come before any file, or the upload is refused (403).
   */
  acceptsCsrfToken(token: unknown): boolean;
  /** The upload fails (408) when the client sends nothing for this long while the server is ready to read. */
  idleMs: number;
}

export interface MultipartFiles extends AsyncIterable<IncomingFile> {
  /** True once more files were sent than `maxFiles`; the extra ones were not read. */
  readonly tooManyFiles: boolean;
}

/** Form fields (the `_csrf` token included) read besides the files: the gallery's form sends one. */
export const MAX_FORM_FIELDS = 20;
export const UPLOAD_CUT_OFF = 'The upload was cut off before it finished.';
export const UPLOAD_UNREADABLE = 'The upload could not be read. Please try again.';
export const TOO_MANY_FIELDS = `The upload has more than ${MAX_FORM_FIELDS} form fields besides the photos.`;
export const uploadStalled = (idleMs: number) => {
  const seconds = Math.round(idleMs / 1000);
  return `The upload stopped: nothing arrived for ${seconds} second${seconds === 1 ? '' : 's'}. Please try again.`;
};

const DONE = Symbol('done');

/**
 * Routes declare their upload with `@MultipartUpload(…)` (multipart-upload.ts), which calls this with the app's limits.
 *
 * Streams the files of one multipart field, one at a time: the next file is parsed only after the caller has
 * consumed the previous one, so memory stays flat whatever the sizes. Files of other fields are discarded unread.
 *
 * Whatever goes wrong — the body cut off, a malformed part, a client that goes silent or away — ends the upload with
 * one HttpException: the iterator throws it, and the file being received fails with it. Busboy destroys the file it is
 * filling with its own error, so every stream it hands out gets a listener the moment it exists (an 'error' without
 * one would crash the process); files are handed to the caller through a PassThrough that carries the HttpException.
 */
export function multipartFiles(req: Request, options: MultipartOptions): MultipartFiles {
  if (!req.is('multipart/form-data')) throw new BadRequestException('Choose one or more photos to upload.');
  const parser = parserFor(req, options);
  const queue: Array<IncomingFile | HttpException | typeof DONE> = [];
  let wake: (() => void) | undefined;
  const push = (item: IncomingFile | HttpException | typeof DONE) => {
    queue.push(item);
    wake?.();
  };
  let csrfVerified = options.acceptsCsrfToken(req.get(CSRF_HEADER));
  let tooManyFiles = false;
  let failure: HttpException | undefined;
  const stopWatching = whenIdle(req, options.idleMs, () => parser.destroy(new RequestTimeoutException(uploadStalled(options.idleMs))));
  /** The first failure wins: it is what the caller is told, whatever busboy reports after it. */
  const fail = (error: unknown): HttpException => {
    if (!failure) {
      failure = asHttpException(error);
      stopWatching();
      push(failure);
    }
    return failure;
  };

  parser.on('error', (error) => {
    fail(error);
    parser.destroy(); // a malformed part header is only reported; stop parsing what follows
  });
  parser.on('field', (name, value) => {
    if (name === CSRF_FIELD) csrfVerified ||= options.acceptsCsrfToken(value);
  });
  parser.on('fieldsLimit', () => fail(new BadRequestException(TOO_MANY_FIELDS)));
  parser.on('filesLimit', () => (tooManyFiles = true));
  parser.on('file', (name, stream, info) => {
    if (!csrfVerified) fail(new ForbiddenException(CSRF_REFUSED));
    if (name !== options.field || failure) return void stream.on('error', fail).resume();
    const file: PassThrough & { truncated?: boolean } = new PassThrough();
    file.on('error', () => undefined); // a file that fails before the caller reads it fails the caller's read instead
    stream.on('error', (error) => file.destroy(fail(error)));
    stream.once('limit', () => (file.truncated = true));
    stream.pipe(file);
    push({ filename: info.filename ?? '', stream: file });
  });
  parser.on('close', () => push(DONE));
  req.on('close', () => {
    if (!req.complete) parser.destroy(new BadRequestException(UPLOAD_CUT_OFF)); // the client went away mid-body
  });
  req.pipe(parser);

  async function* files(): AsyncGenerator<IncomingFile> {
    try {
      for (;;) {
        while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        const item = queue.shift()!;
        if (item === DONE) return;
        if (item instanceof HttpException) throw item;
        yield item;
        item.stream.resume(); // whatever the caller left unread
      }
    } finally {
      stopWatching();
      req.unpipe(parser);
      req.resume();
    }
  }

  return {
    get tooManyFiles() {
      return tooManyFiles;
    },
    [Symbol.asyncIterator]: files,
  };
}

/** Busboy's errors are the client's: a body that ends before its closing boundary is cut off, anything else unreadable. */
function asHttpException(error: unknown): HttpException {
  if (error instanceof HttpException) return error;
  const cutOff = error instanceof Error && error.message.startsWith('Unexpected end of');
  return new BadRequestException(cutOff ? UPLOAD_CUT_OFF : UPLOAD_UNREADABLE);
}

/**
 * Calls `onIdle` when no byte arrives for `ms` while `req` is flowing. A request paused by backpressure (the server is
 * busy with a file it already has) is not idle: the client cannot send then. Returns a function that stops watching.
 */
function whenIdle(req: Request, ms: number, onIdle: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const disarm = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  const arm = () => {
    disarm();
    timer = setTimeout(onIdle, ms).unref();
  };
  const refresh = () => timer?.refresh();
  req.on('resume', arm).on('data', refresh).on('pause', disarm);
  const stop = () => {
    disarm();
    req.off('resume', arm).off('data', refresh).off('pause', disarm).off('end', stop);
  };
  req.on('end', stop);
  if (req.readableFlowing) arm();
  return stop;
}

/** busboy throws at once on a Content-Type it cannot use (multipart without a boundary): that is the client's error. */
function parserFor(req: Request, options: MultipartOptions): busboy.Busboy {
  try {
    return busboy({
      headers: req.headers,
      defParamCharset: 'utf8', // browsers send file names as UTF-8
      // busboy flags a file that reaches its limit as truncated, so the limit is one byte past the largest allowed file.
      limits: { fileSize: options.maxFileBytes + 1, files: options.maxFiles, fields: MAX_FORM_FIELDS, fieldSize: 1024 },
    });
  } catch {
    throw new BadRequestException(UPLOAD_UNREADABLE);
  }
}
