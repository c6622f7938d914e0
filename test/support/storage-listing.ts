import { StorageConfig } from '../../src/config/app-config';
import { AzureBlobStorage } from '../../src/storage/azure-blob.storage';
import { LocalDiskStorage } from '../../src/storage/local-disk.storage';

/** Every blob key in an app's photo storage (read beside the app, e.g. one running as a process), sorted. */
export async function blobKeysOf(storage: StorageConfig): Promise<string[]> {
  const adapter =
    storage.driver === 'azure' ? new AzureBlobStorage(storage.connectionString, storage.container) : new LocalDiskStorage(storage.root);
  const keys: string[] = [];
  for await (const blob of adapter.list('')) keys.push(blob.key);
  return keys.sort();
}
