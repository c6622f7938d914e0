import { ExecutionContext, ForbiddenException } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { PassThrough } from 'node:stream';
import { CSRF_REFUSED, CsrfGuard } from '../../src/common/csrf/csrf.guard';
import { CsrfTokens } from '../../src/common/csrf/csrf-tokens';
import type { MultipartFiles } from '../../src/common/http/multipart-files';
import { MultipartUpload, MultipartUploadReader } from '../../src/common/http/multipart-upload';
import { AppConfig, loadConfig } from '../../src/config/app-config';

const BOUNDARY = 'uploadtest';
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;
const GOOD = 'good-token';

class Routes {
  upload(@MultipartUpload({ field: 'photos' }) _files: MultipartFiles) {}
  other() {}
}

const config = { ...loadConfig({ NODE_ENV: 'test' }), sessionSecret: 'x'.repeat(32) } as AppConfig;
const tokens = new CsrfTokens(config);

const field = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
const file = (name: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="photos"; filename="${name}"\r\n\r\nbytes\r\n`;
const END = `--${BOUNDARY}--\r\n`;

/**
 * Just enough of an Express request, a logged-in user's whose session token is GOOD, for the guard and the multipart
 * reader; the body arrives whole, then ends.
 */
function request(contentType: string, headers: Record<string, string> = {}, body = ''): Request {
  const all: Record<string, string> = { 'content-type': contentType, ...headers };
  const req = Object.assign(new PassThrough(), {
    method: 'POST',
    headers: all,
    protocol: 'http',
    complete: true,
    session: { passport: { user: 'u1' }, csrfToken: GOOD },
    get: (name: string) => all[name.toLowerCase()],
    is: (type: string) => (contentType.startsWith(type) ? type : false),
  });
  setImmediate(() => req.end(body));
  return req as unknown as Request;
}

const contextFor = (req: Request, handler: object) =>
  ({ switchToHttp: () => ({ getRequest: () => req }), getHandler: () => handler, getClass: () => Routes }) as unknown as ExecutionContext;

async function namesOf(files: MultipartFiles): Promise<string[]> {
  const names: string[] = [];
  for await (const incoming of files) {
    names.push(incoming.filename);
    incoming.stream.resume();
  }
  return names;
}

describe('@MultipartUpload()', () => {
  describe('the CSRF guard', () => {
    const sut = new CsrfGuard(config, new Reflector(), tokens);

    it('lets a multipart request without the header through to a route that declared the upload: its reader checks the _csrf field', () => {
      expect(sut.canActivate(contextFor(request(MULTIPART), Routes.prototype.upload))).toBe(true);
    });

    it('refuses the same request on a route that did not declare it', () => {
      expect(() => sut.canActivate(contextFor(request(MULTIPART), Routes.prototype.other))).toThrow(new ForbiddenException(CSRF_REFUSED));
    });

    it('refuses a request without a token that is not multipart, even on the upload route', () => {
      expect(() => sut.canActivate(contextFor(request('application/x-www-form-urlencoded'), Routes.prototype.upload))).toThrow(
        ForbiddenException,
      );
    });
  });

  describe('the handler parameter', () => {
    it('is read by MultipartUploadReader, for the declared field', () => {
      const args: Record<string, { index: number; data: unknown; pipes: unknown[] }> = Reflect.getMetadata(
        ROUTE_ARGS_METADATA,
        Routes,
        'upload',
      );
      expect(Object.values(args)).toEqual([
        expect.objectContaining({ index: 0, data: { field: 'photos' }, pipes: [MultipartUploadReader] }),
      ]);
    });
  });

  describe(MultipartUploadReader.name, () => {
    const sut = new MultipartUploadReader(tokens, config);
    const read = (req: Request) => namesOf(sut.transform({ req, options: { field: 'photos' } }));

    it('gives the files when a good _csrf field comes before them', async () => {
      expect(await read(request(MULTIPART, {}, field('_csrf', GOOD) + file('a.jpg') + file('b.jpg') + END))).toEqual(['a.jpg', 'b.jpg']);
    });

    it('gives the files when the header carried a good token', async () => {
      expect(await read(request(MULTIPART, { 'x-csrf-token': GOOD }, file('a.jpg') + END))).toEqual(['a.jpg']);
    });

    it.each([
      ['no token at all', {}, file('a.jpg') + END],
      ['a wrong _csrf field', {}, field('_csrf', 'forged') + file('a.jpg') + END],
      ['the _csrf field after the file', {}, file('a.jpg') + field('_csrf', GOOD) + END],
      ['a wrong header', { 'x-csrf-token': 'forged' }, file('a.jpg') + END],
    ])('refuses the upload (403) with %s', async (_, headers: Record<string, string>, body) => {
      await expect(read(request(MULTIPART, headers, body))).rejects.toThrow(new ForbiddenException(CSRF_REFUSED));
    });
  });
});
