import { Test } from '@nestjs/testing';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BLOB_STORAGE } from '../../src/storage/blob-storage.port';
import { LocalDiskStorage } from '../../src/storage/local-disk.storage';
import { StorageModule } from '../../src/storage/storage.module';
import { blobStorageContract } from './blob-storage.contract';

/** A temp folder standing in for DATA_DIR, with the photos root inside it (so escapes would land in the folder). */
async function localStorage() {
  const dataDir = mkdtempSync(join(tmpdir(), 'photosphere-local-storage-'));
  const root = join(dataDir, 'photos');
  const storage = new LocalDiskStorage(root);
  await storage.init();
  return { dataDir, root, storage, teardown: async () => rmSync(dataDir, { recursive: true, force: true }) };
}

blobStorageContract('LocalDiskStorage', localStorage);

describe('LocalDiskStorage on disk', () => {
  let subject: Awaited<ReturnType<typeof localStorage>>;
  beforeEach(async () => (subject = await localStorage()));
  afterEach(() => subject.teardown());

  it('stores a blob as the file <root>/<key> and leaves no temp files', async () => {
    await subject.storage.put('u1/p1/a.jpg', Readable.from([Buffer.from('abc')]), { contentType: 'image/jpeg' });
    expect(readdirSync(join(subject.root, 'u1', 'p1'))).toEqual(['a.jpg']);
    expect(readdirSync(join(subject.root, '.incoming'))).toEqual([]);
  });

  it('cleans up the temp file when a put fails or is aborted', async () => {
    const failing = Readable.from(
      (async function* () {
        yield Buffer.alloc(100_000);
        throw new Error('client went away');
      })(),
    );
    await expect(subject.storage.put('u1/p1/a.jpg', failing, { contentType: 'image/jpeg' })).rejects.toThrow('client went away');
    const controller = new AbortController();
    const endless = Readable.from(
      (async function* () {
        for (let i = 0; i < 1000; i++) {
          if (i === 3) controller.abort();
          yield Buffer.alloc(64 * 1024);
        }
      })(),
    );
    await expect(
      subject.storage.put('u1/p1/b.jpg', endless, { contentType: 'image/jpeg', signal: controller.signal }),
    ).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(readdirSync(join(subject.root, '.incoming'))).toEqual([]);
    expect(existsSync(join(subject.root, 'u1'))).toBe(false);
  });

  it('removes the temp files a crash left behind when asked at start-up, and only then (a CLI command beside it only inits)', async () => {
    await subject.storage.put('u1/p1/a.jpg', Readable.from([Buffer.from('kept')]), { contentType: 'image/jpeg' });
    writeFileSync(join(subject.root, '.incoming', 'half-written'), 'half a photo');
    await new LocalDiskStorage(subject.root).init();
    expect(readdirSync(join(subject.root, '.incoming'))).toEqual(['half-written']);
    await new LocalDiskStorage(subject.root).removeUnfinished();
    expect(readdirSync(join(subject.root, '.incoming'))).toEqual([]);
    expect(await subject.storage.exists('u1/p1/a.jpg')).toBe(true);
  });

  it('keeps its folders and files private to the app (0700 / 0600)', async () => {
    await subject.storage.put('u1/p1/a.jpg', Readable.from([Buffer.from('private')]), { contentType: 'image/jpeg' });
    const mode = (path: string) => (statSync(join(subject.root, path)).mode & 0o777).toString(8);
    expect(['', '.incoming', 'u1', 'u1/p1', 'u1/p1/a.jpg'].map(mode)).toEqual(['700', '700', '700', '700', '600']);
  });

  it('putFile moves a file on the same filesystem into place (same inode, no copy), made private, nothing in .incoming', async () => {
    const path = join(subject.dataDir, 'spooled.upload');
    writeFileSync(path, 'spooled photo', { mode: 0o644 });
    const inode = statSync(path).ino;
    await subject.storage.putFile('u1/p1/a.jpg', path, { contentType: 'image/jpeg' });
    const stored = statSync(join(subject.root, 'u1', 'p1', 'a.jpg'));
    expect({ ino: stored.ino, mode: (stored.mode & 0o777).toString(8) }).toEqual({ ino: inode, mode: '600' });
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(join(subject.root, '.incoming'))).toEqual([]);
  });

  it('putFile copies a file from another filesystem (EXDEV) and removes it', async () => {
    const otherFs = mkdtempSync('/dev/shm/photosphere-put-file-'); // tmpfs, not the disk the root is on
    try {
      const path = join(otherFs, 'spooled.upload');
      writeFileSync(path, 'from elsewhere');
      await subject.storage.putFile('u1/p1/a.jpg', path, { contentType: 'image/jpeg' });
      expect(readFileSync(join(subject.root, 'u1', 'p1', 'a.jpg'), 'utf8')).toBe('from elsewhere');
      expect((statSync(join(subject.root, 'u1', 'p1', 'a.jpg')).mode & 0o777).toString(8)).toBe('600');
      expect(existsSync(path)).toBe(false);
      expect(readdirSync(join(subject.root, '.incoming'))).toEqual([]);
    } finally {
      rmSync(otherFs, { recursive: true, force: true });
    }
  });

  it('removes folders left empty by a delete, up to but not including the root', async () => {
    await subject.storage.put('u1/p1/a.jpg', Readable.from([Buffer.from('a')]), { contentType: 'image/jpeg' });
    await subject.storage.put('u1/p2/b.jpg', Readable.from([Buffer.from('b')]), { contentType: 'image/jpeg' });
    await subject.storage.delete('u1/p1/a.jpg');
    expect(readdirSync(join(subject.root, 'u1'))).toEqual(['p2']);
    await subject.storage.delete('u1/p2/b.jpg');
    expect(readdirSync(subject.root)).toEqual(['.incoming']);
  });

  it('never touches files outside the root', async () => {
    await expect(subject.storage.put('../escape.jpg', Readable.from([Buffer.from('x')]), { contentType: 'image/jpeg' })).rejects.toThrow();
    await expect(subject.storage.delete('../photos')).rejects.toThrow();
    expect(readdirSync(subject.dataDir)).toEqual(['photos']);
  });

  it.each([
    ['a.jpg', 'image/jpeg'],
    ['a.JPEG', 'image/jpeg'],
    ['a.png', 'image/png'],
    ['a.webp', 'image/webp'],
    ['a.gif', 'image/gif'],
    ['a.heic', 'application/octet-stream'],
    ['noext', 'application/octet-stream'],
  ])('serves %s as %s', async (key, contentType) => {
    await subject.storage.put(key, Readable.from([Buffer.from('x')]), { contentType: 'image/jpeg' });
    const download = await subject.storage.get(key);
    download.stream.destroy();
    expect(download.contentType).toBe(contentType);
  });

  it('is what StorageModule provides for the local driver, with the root created', async () => {
    const root = join(subject.dataDir, 'module-photos');
    const module = await Test.createTestingModule({ imports: [StorageModule.forRoot({ driver: 'local', root })] }).compile();
    expect(module.get(BLOB_STORAGE)).toBeInstanceOf(LocalDiskStorage);
    expect(existsSync(root)).toBe(true);
    await module.close();
  });
});
