import { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
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

/**
 * AzureStore keeps each upload's state in its append blob's metadata and, by default, a copy in the memory of the
 * instance that wrote it; that copy would be stale once another instance takes the next PATCH, so it is not kept.
 * AzureStore does not remove uploads itself (no termination): deleting the blob is all it takes.
 */
function azurePartials(container: ContainerClient): PartialStore {
  const noCache: KvStore<Upload> = { get: async () => undefined, set: async () => undefined, delete: async () => undefined };
  const store = new AzureStore({ client: container, cache: noCache });
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
