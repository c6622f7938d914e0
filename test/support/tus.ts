import { MikroORM } from '@mikro-orm/core';
import { readdir, stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { PartialUpload } from '../../src/uploads/partial-upload.entity';
import { Browser } from './browser';
import { TestApp } from './test-app';

export const TUS = { 'Tus-Resumable': '1.0.0' };
const OCTETS = { 'Content-Type': 'application/offset+octet-stream' };

/** `filename` as tus-js-client sends it in Upload-Metadata. */
export const metadata = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',');

/** POST /uploads as tus-js-client does, with the page's CSRF token unless `csrf` says otherwise. */
export function createUpload(browser: Browser, file: { filename?: string; length: number }, csrf = browser.csrfToken) {
  const headers: Record<string, string> = { ...TUS, 'Upload-Length': String(file.length) };
  if (file.filename !== undefined) headers['Upload-Metadata'] = metadata({ filename: file.filename });
  if (csrf) headers['X-CSRF-Token'] = csrf;
  return browser.agent.post('/uploads').set(headers).redirects(0);
}

export function patchUpload(browser: Browser, location: string, offset: number, bytes: Buffer, csrf = browser.csrfToken) {
  const headers: Record<string, string> = { ...TUS, ...OCTETS, 'Upload-Offset': String(offset) };
  if (csrf) headers['X-CSRF-Token'] = csrf;
  return browser.agent.patch(location).set(headers).redirects(0).send(bytes);
}

export function headUpload(browser: Browser, location: string) {
  return browser.agent.head(location).set(TUS).redirects(0);
}

export function deleteUpload(browser: Browser, location: string, csrf = browser.csrfToken) {
  const headers: Record<string, string> = { ...TUS };
  if (csrf) headers['X-CSRF-Token'] = csrf;
  return browser.agent.delete(location).set(headers).redirects(0);
}

/**
 * Starts a PATCH for all of `bytes` from `offset` but sends only `sent` of them, and leaves the request open; `cut()`
 * then drops the connection, as a network that fails does, and resolves once it is closed.
 */
export async function startPatch(t: TestApp, browser: Browser, location: string, offset: number, bytes: Buffer, sent: number) {
  const server = t.app.getHttpServer();
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'PATCH',
    path: location,
    headers: {
      ...TUS,
      ...OCTETS,
      'Upload-Offset': String(offset),
      'Content-Length': String(bytes.length - offset),
      'X-CSRF-Token': browser.csrfToken!,
      'X-Forwarded-For': browser.ip,
      Cookie: browser.sessionCookie()!,
    },
  });
  req.on('error', () => undefined); // the cut is the point
  const closed = new Promise<void>((resolve) => req.once('close', () => resolve()));
  const answered = new Promise<number>((resolve) => req.once('response', (res) => resolve(res.statusCode!)));
  req.write(bytes.subarray(offset, offset + sent));
  return {
    /** The status, if the server answers before the body is complete (a refusal). */
    answered,
    /** Resolves when the connection is closed, by either side. */
    closed,
    cut: async () => {
      req.destroy();
      await closed;
    },
  };
}

/** Waits until the partial file on disk holds `size` bytes (local store: a PATCH writes through as bytes arrive). */
export async function partialFileReaches(t: TestApp, location: string, size: number): Promise<void> {
  const path = join(t.config.dataDir, 'uploads-partial', location.split('/').pop()!);
  while ((await stat(path)).size < size) await new Promise((resolve) => setImmediate(resolve));
}

/** Every trace of unfinished uploads: rows, and files (DATA_DIR) or blobs (Azure) in the partial store. */
export async function partialsLeft(t: TestApp): Promise<{ rows: number; stored: string[] }> {
  const rows = await t.app.get(MikroORM).em.fork().count(PartialUpload, {});
  if (t.config.storage.driver === 'azure') {
    const container = BlobServiceClient.fromConnectionString(t.config.storage.connectionString).getContainerClient(
      `${t.config.storage.container.slice(0, 55)}-partial`,
    );
    const stored: string[] = [];
    for await (const blob of container.listBlobsFlat()) stored.push(blob.name);
    return { rows, stored };
  }
  return { rows, stored: await readdir(join(t.config.dataDir, 'uploads-partial')) };
}
