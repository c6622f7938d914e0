import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BlobNotFoundError, BlobStorage } from '../../src/storage/blob-storage.port';
import { InvalidBlobKeyError } from '../../src/storage/storage-key';

export interface ContractSubject {
  storage: BlobStorage;
  teardown(): Promise<void>;
}

const CHUNK = 64 * 1024;
const JPEG = { contentType: 'image/jpeg' };

/** What every BlobStorage adapter must do; each adapter's spec runs it against a fresh, empty store per test. */
export function blobStorageContract(name: string, setup: () => Promise<ContractSubject>): void {
  describe(`${name} (BlobStorage contract)`, () => {
    let subject: ContractSubject;
    let storage: BlobStorage;

    beforeEach(async () => {
      subject = await setup();
      storage = subject.storage;
    });
    afterEach(() => subject.teardown());

    it('gets back byte-identical content, with size, content type and etag', async () => {
      const bytes = randomBytes(300_000);
      const stored = await storage.put('u1/p1/original.jpg', Readable.from([bytes]), JPEG);
      expect(stored).toMatchObject({ key: 'u1/p1/original.jpg', size: bytes.length });
      expect(stored.etag).not.toBe('');
      expectRecent(stored.lastModified);

      const download = await storage.get('u1/p1/original.jpg');
      expect(download.size).toBe(bytes.length);
      expect(download.contentType).toBe('image/jpeg');
      expect(download.etag).toBe(stored.etag);
      expect(await sha256Of(download.stream)).toBe(sha256(bytes));
    });

    it('round-trips a 20 MB stream generated on the fly', async () => {
      const source = generated(20 * 1024 * 1024);
      const stored = await storage.put('u1/p1/big.jpg', source.stream, JPEG);
      expect(stored.size).toBe(20 * 1024 * 1024);

      const download = await storage.get('u1/p1/big.jpg');
      expect(download.size).toBe(20 * 1024 * 1024);
      expect(await sha256Of(download.stream)).toBe(source.sha256());
    });

    it('leaves nothing when the body fails midway, and keeps what was there before', async () => {
      const failing = () => generated(6 * 1024 * 1024, { failAfter: 5 * 1024 * 1024 }).stream;
      await expect(storage.put('u1/p1/broken.jpg', failing(), JPEG)).rejects.toThrow('client went away');
      expect(await storage.exists('u1/p1/broken.jpg')).toBe(false);
      expect(await keys(storage, '')).not.toContain('u1/p1/broken.jpg');

      const before = randomBytes(1000);
      await storage.put('u1/p1/kept.jpg', Readable.from([before]), JPEG);
      await expect(storage.put('u1/p1/kept.jpg', failing(), JPEG)).rejects.toThrow('client went away');
      expect(await sha256Of((await storage.get('u1/p1/kept.jpg')).stream)).toBe(sha256(before));
    });

    it('leaves nothing when the upload is aborted midway', async () => {
      const controller = new AbortController();
      const source = generated(40 * 1024 * 1024, { onBytes: (sent) => sent >= 5 * 1024 * 1024 && controller.abort() });
      const put = storage.put('u1/p1/aborted.jpg', source.stream, { ...JPEG, signal: controller.signal });
      await expect(put).rejects.toMatchObject({ name: 'AbortError' });
      expect(controller.signal.aborted).toBe(true);
      expect(await storage.exists('u1/p1/aborted.jpg')).toBe(false);
      expect(await keys(storage, '')).toEqual([]);
    });

    it('putFile stores a local file byte-identical and takes it over: the file is gone afterwards', async () => {
      const bytes = randomBytes(9 * 1024 * 1024 + 123); // more than two 4 MB blocks
      const path = localFile(bytes);
      const stored = await storage.putFile('u1/p1/file.jpg', path, JPEG);
      expect(stored).toMatchObject({ key: 'u1/p1/file.jpg', size: bytes.length });
      expect(stored.etag).not.toBe('');
      expect(existsSync(path)).toBe(false);

      const download = await storage.get('u1/p1/file.jpg');
      expect(download.size).toBe(bytes.length);
      expect(download.contentType).toBe('image/jpeg');
      expect(await sha256Of(download.stream)).toBe(sha256(bytes));
    });

    it('putFile replaces what was under the key', async () => {
      await storage.put('u1/p1/file.jpg', Readable.from([Buffer.from('before')]), JPEG);
      await storage.putFile('u1/p1/file.jpg', localFile(Buffer.from('after')), JPEG);
      expect(await sha256Of((await storage.get('u1/p1/file.jpg')).stream)).toBe(sha256(Buffer.from('after')));
    });

    it('putFile stores nothing when aborted or the key is unsafe, and leaves the file to its caller', async () => {
      const controller = new AbortController();
      controller.abort();
      const aborted = localFile(randomBytes(1000));
      await expect(storage.putFile('u1/p1/aborted.jpg', aborted, { ...JPEG, signal: controller.signal })).rejects.toMatchObject({
        name: 'AbortError',
      });
      expect(existsSync(aborted)).toBe(true);
      rmSync(aborted);

      const unsafe = localFile(randomBytes(1000));
      await expect(storage.putFile('../escape.jpg', unsafe, JPEG)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      expect(existsSync(unsafe)).toBe(true);
      rmSync(unsafe);
      expect(await keys(storage, '')).toEqual([]);
    });

    it('throws BlobNotFoundError for a missing blob', async () => {
      await expect(storage.get('u1/p1/missing.jpg')).rejects.toBeInstanceOf(BlobNotFoundError);
      await storage.put('u1/p1/there.jpg', Readable.from([Buffer.from('x')]), JPEG);
      await expect(storage.get('u1/p1')).rejects.toBeInstanceOf(BlobNotFoundError); // a "folder" is not a blob
    });

    it('deletes idempotently, and exists() follows', async () => {
      expect(await storage.exists('u1/p1/photo.jpg')).toBe(false);
      await storage.put('u1/p1/photo.jpg', Readable.from([Buffer.from('photo')]), JPEG);
      expect(await storage.exists('u1/p1/photo.jpg')).toBe(true);

      await storage.delete('u1/p1/photo.jpg');
      await storage.delete('u1/p1/photo.jpg');
      await storage.delete('u9/never/written.jpg');
      expect(await storage.exists('u1/p1/photo.jpg')).toBe(false);
      await expect(storage.get('u1/p1/photo.jpg')).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    it('lists exactly the blobs under a prefix', async () => {
      for (const key of ['u1/p1/a.jpg', 'u1/p2/b.png', 'u2/p3/c.webp']) {
        await storage.put(key, Readable.from([Buffer.from(key)]), { contentType: 'image/jpeg' });
      }
      expect(await keys(storage, 'u1/')).toEqual(['u1/p1/a.jpg', 'u1/p2/b.png']);
      expect(await keys(storage, 'u1/p2')).toEqual(['u1/p2/b.png']);
      expect(await keys(storage, '')).toEqual(['u1/p1/a.jpg', 'u1/p2/b.png', 'u2/p3/c.webp']);
      expect(await keys(storage, 'u3/')).toEqual([]);

      const [listed] = await collect(storage.list('u2/'));
      expect(listed).toMatchObject({ key: 'u2/p3/c.webp', size: 'u2/p3/c.webp'.length });
      expect(listed.etag).not.toBe('');
      expectRecent(listed.lastModified);
    });

    it.each([
      '../escape.jpg',
      'u1/../../escape.jpg',
      'u1/./x.jpg',
      '/u1/p1/x.jpg',
      'u1\\p1\\x.jpg',
      'u1//x.jpg',
      'u1/p1/',
      '',
      '.incoming/x',
    ])('refuses the unsafe key %j everywhere', async (key) => {
      await expect(storage.put(key, Readable.from([Buffer.from('x')]), JPEG)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(storage.get(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(storage.exists(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(storage.delete(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      expect(await keys(storage, '')).toEqual([]);
    });

    it('refuses unsafe list prefixes', async () => {
      await expect(collect(storage.list('../'))).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(collect(storage.list('/u1'))).rejects.toBeInstanceOf(InvalidBlobKeyError);
    });
  });
}

/** A new file in the OS's temp folder, for putFile to take over. */
function localFile(bytes: Buffer): string {
  const path = join(tmpdir(), `photosphere-put-file-${randomUUID()}.upload`);
  writeFileSync(path, bytes);
  return path;
}

/** A stream of random 64 KB chunks made as they are read; sha256() is known once it has been fully read. */
function generated(total: number, options: { failAfter?: number; onBytes?: (sent: number) => void } = {}) {
  const hash = createHash('sha256');
  let sent = 0;
  const stream = Readable.from(
    (async function* () {
      while (sent < total) {
        if (options.failAfter !== undefined && sent >= options.failAfter) throw new Error('client went away');
        const chunk = randomBytes(Math.min(CHUNK, total - sent));
        hash.update(chunk);
        sent += chunk.length;
        options.onBytes?.(sent);
        yield chunk;
      }
    })(),
    { objectMode: false },
  );
  return { stream, sha256: () => hash.digest('hex') };
}

/** A Date from the last minute (checked by tag: Dates made by Node's fs come from another realm than jest's `Date`). */
function expectRecent(date: Date): void {
  expect(Object.prototype.toString.call(date)).toBe('[object Date]');
  expect(Math.abs(Date.now() - date.getTime())).toBeLessThan(60_000);
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk);
  return hash.digest('hex');
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

async function keys(storage: BlobStorage, prefix: string): Promise<string[]> {
  return (await collect(storage.list(prefix))).map((blob) => blob.key).sort();
}
