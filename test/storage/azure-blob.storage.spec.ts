import { BlobServiceClient } from '@azure/storage-blob';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { AddressInfo, createServer, Socket } from 'node:net';
import { Readable } from 'node:stream';
import { AzureBlobStorage } from '../../src/storage/azure-blob.storage';
import { BLOB_STORAGE, StorageUnavailableError } from '../../src/storage/blob-storage.port';
import { StorageModule } from '../../src/storage/storage.module';
import { Azurite, startAzurite } from '../support/azurite';
import { blobStorageContract } from './blob-storage.contract';

const JPEG = { contentType: 'image/jpeg' };

let azurite: Azurite;
beforeAll(async () => (azurite = await startAzurite()));
afterAll(() => azurite.stop());

/** A container name unique to this run and test (3–63 lower-case letters, digits and hyphens). */
const uniqueContainer = () => `photos-${randomBytes(6).toString('hex')}`;

async function azureStorage() {
  const container = uniqueContainer();
  const storage = new AzureBlobStorage(azurite.connectionString, container);
  await storage.init();
  const teardown = async () => {
    await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container).deleteIfExists();
  };
  return { container, storage, teardown };
}

blobStorageContract('AzureBlobStorage on Azurite', azureStorage);

describe('AzureBlobStorage on Azurite', () => {
  let subject: Awaited<ReturnType<typeof azureStorage>>;
  let hole: BlackHole | undefined;
  beforeEach(async () => (subject = await azureStorage()));
  afterEach(async () => {
    await hole?.close(); // here, not in the test: a hung test never reaches its own cleanup
    hole = undefined;
    await azurite.resume(); // in case a test failed while storage was paused
    await subject.teardown();
  });

  it('creates a private container: anonymous reads are refused', async () => {
    await subject.storage.put('u1/p1/a.jpg', Readable.from([Buffer.from('secret')]), JPEG);
    const containerClient = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(subject.container);
    expect((await containerClient.getAccessPolicy()).blobPublicAccess).toBeUndefined();

    const blobUrl = await fetch(`${azurite.blobEndpoint}/${subject.container}/u1/p1/a.jpg`);
    expect(blobUrl.status).not.toBe(200);
    const listing = await fetch(`${azurite.blobEndpoint}/${subject.container}?restype=container&comp=list`);
    expect(listing.status).not.toBe(200);
  });

  it('reports an outage as StorageUnavailableError within 35 s, and works again once storage is back', async () => {
    await subject.storage.put('u1/p1/before.jpg', Readable.from([Buffer.from('before')]), JPEG);
    await azurite.pause();

    const started = Date.now();
    const failed = await subject.storage.put('u1/p1/during.jpg', Readable.from([randomBytes(100_000)]), JPEG).catch((e) => e);
    const elapsed = Date.now() - started;
    expect(failed).toBeInstanceOf(StorageUnavailableError);
    expect(failed.message).toMatch(/unavailable|did not answer/);
    expect(failed.cause).toBeDefined();
    expect(elapsed).toBeLessThan(35_000);
    await expect(subject.storage.exists('u1/p1/before.jpg')).rejects.toBeInstanceOf(StorageUnavailableError);

    await azurite.resume();
    await subject.storage.put('u1/p1/after.jpg', Readable.from([Buffer.from('after')]), JPEG);
    expect(await subject.storage.exists('u1/p1/before.jpg')).toBe(true);
    expect(await subject.storage.exists('u1/p1/after.jpg')).toBe(true);
    expect(await subject.storage.exists('u1/p1/during.jpg')).toBe(false);
  }, 60_000);

  it('fails an upload cut off midway by an outage, leaving nothing', async () => {
    let sent = 0;
    const body = Readable.from(
      (async function* () {
        while (sent < 30 * 1024 * 1024) {
          if (sent === 6 * 1024 * 1024) await azurite.pause(); // after at least one 4 MB block was staged
          sent += 64 * 1024;
          yield randomBytes(64 * 1024);
        }
      })(),
    );
    await expect(subject.storage.put('u1/p1/cut.jpg', body, JPEG)).rejects.toBeInstanceOf(StorageUnavailableError);
    await azurite.resume();
    expect(await subject.storage.exists('u1/p1/cut.jpg')).toBe(false);
  }, 60_000);

  it('gives up on a server that accepts connections but never answers within 35 s', async () => {
    hole = await blackHole();
    const hung = new AzureBlobStorage(
      azurite.connectionString.replace(/BlobEndpoint=[^;]+/, `BlobEndpoint=http://127.0.0.1:${hole.port}/devstoreaccount1`),
      subject.container,
    );
    const started = Date.now();
    const failed = await hung.put('u1/p1/a.jpg', Readable.from([Buffer.from('x')]), JPEG).catch((e) => e);
    expect(failed).toBeInstanceOf(StorageUnavailableError);
    expect(failed.message).toMatch(/did not answer in time/);
    expect(Date.now() - started).toBeLessThan(35_000);
  }, 60_000);

  it('is what StorageModule provides for the azure driver, with the container created', async () => {
    const container = uniqueContainer();
    const config = { driver: 'azure' as const, connectionString: azurite.connectionString, container };
    const module = await Test.createTestingModule({ imports: [StorageModule.forRoot(config)] }).compile();
    expect(module.get(BLOB_STORAGE)).toBeInstanceOf(AzureBlobStorage);
    const containerClient = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container);
    expect(await containerClient.exists()).toBe(true);
    await module.close();
    await containerClient.delete();
  });
});

interface BlackHole {
  port: number;
  close(): Promise<void>;
}

/** A TCP server that accepts connections and never says anything. */
async function blackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
