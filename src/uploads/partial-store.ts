import { AppendBlobClient, BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { AzureStore } from '@tus/azure-store';
import { FileStore } from '@tus/file-store';
import { DataStore, KvStore, Upload } from '@tus/utils';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { PRIVATE_DIR_MODE } from '../common/private-files';
import { AppConfig } from '../config/app-config';

/** A tus data store that also hands back the bytes of a finished upload, and removes one. */
export interface PartialStore {
  tus: DataStore;
  read(id: string): Promise<Readable>;
  /** Idempotent: removing an upload that is gone is not an error. */
  remove(id: string): Promise<void>;
}

/**
 * Where partial uploads live, so that every instance that may receive the next PATCH can reach them: the Azure
 * container `<AZURE_STORAGE_CONTAINER>-partial` when photos are in Azure, else `DATA_DIR/uploads-partial` (one machine).
 * Kept apart from the photos' storage, whose check would take partial files for orphans.
 */
export async function partialStoreFor(config: AppConfig): Promise<PartialStore> {
  if (config.storage.driver === 'azure') {
    const container = BlobServiceClient.fromConnectionString(config.storage.connectionString).getContainerClient(
      `${config.storage.container.slice(0, 55)}-partial`,
    );
    await container.createIfNotExists(); // private: no `access`
    return azurePartials(container);
  }
  const directory = join(config.dataDir, 'uploads-partial');
  await mkdir(directory, { recursive: true, mode: PRIVATE_DIR_MODE });
  const store = new FileStore({ directory });
  return {
    tus: store,
    read: async (id) => store.read(id),
    // FileStore reports every failure to unlink as "not found"; only that can happen to a file we own.
    remove: (id) => store.remove(id).catch(() => undefined),
  };
}

/** An append block of at most this size: what one PATCH holds in memory at a time (Azure takes up to 4 MiB anywhere). */
const APPEND_BLOCK_BYTES = 4 * 1024 * 1024;

/**
 * AzureStore (2.0.2, pinned) keeps each upload's state in its append blob's metadata and, by default, a copy in the
 * memory of the instance that wrote it; that copy would be stale once another instance takes the next PATCH, so it is
 * not kept. Its `write` gathers a whole PATCH body in memory and appends it at the end: here it appends every 4 MiB
 * instead, each block only at the offset it expects (a retried append cannot add bytes twice), and records the
 * offset after each, so memory stays bounded and a cut loses at most the block in progress. AzureStore does not
 * remove uploads itself (no termination): deleting the blob is all it takes.
 */
function azurePartials(container: ContainerClient): PartialStore {
  const noCache: KvStore<Upload> = { get: async () => undefined, set: async () => undefined, delete: async () => undefined };
  const store = new AzureStore({ client: container, cache: noCache });
  const saveMetadata = (store as unknown as { saveMetadata(blob: AppendBlobClient, upload: Upload): Promise<void> }).saveMetadata.bind(
    store,
  );
  store.write = async (stream, id, offset) => {
    const upload = await store.getUpload(id);
    if (offset < upload.offset) return upload.offset; // as AzureStore: a repeated request writes nothing
    const blob = container.getAppendBlobClient(id);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const append = async () => {
      if (pendingBytes === 0) return;
      const block = Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      await blob.appendBlock(block, block.length, { conditions: { appendPosition: upload.offset } });
      upload.offset += block.length;
      await saveMetadata(blob, upload);
    };
    try {
      for await (const chunk of stream) {
        for (let rest = chunk as Buffer; rest.length > 0;) {
          const taken = rest.subarray(0, APPEND_BLOCK_BYTES - pendingBytes);
          pending.push(taken);
          pendingBytes += taken.length;
          rest = rest.subarray(taken.length);
          if (pendingBytes === APPEND_BLOCK_BYTES) await append();
        }
      }
    } finally {
      await append(); // what arrived before a cut is kept
    }
    return upload.offset;
  };
  store.extensions = [...store.extensions, 'termination'];
  const remove = async (id: string) => {
    await container.getAppendBlobClient(id).deleteIfExists();
  };
  store.remove = remove;
  return {
    tus: store,
    read: async (id) => (await container.getAppendBlobClient(id).download()).readableStreamBody as Readable,
    remove,
  };
}
