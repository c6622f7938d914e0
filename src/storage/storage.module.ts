import { DynamicModule, Module } from '@nestjs/common';
import { StorageConfig } from '../config/app-config';
import { AzureBlobStorage } from './azure-blob.storage';
import { BLOB_STORAGE, BlobStorage } from './blob-storage.port';
import { LocalDiskStorage } from './local-disk.storage';

/** Provides BLOB_STORAGE everywhere: the local folder or the Azure container from the configuration, ready to use. */
@Module({})
export class StorageModule {
  static forRoot(config: StorageConfig): DynamicModule {
    return {
      module: StorageModule,
      global: true,
      providers: [
        {
          provide: BLOB_STORAGE,
          useFactory: async (): Promise<BlobStorage> => {
            const storage =
              config.driver === 'azure'
                ? new AzureBlobStorage(config.connectionString, config.container)
                : new LocalDiskStorage(config.root);
            await storage.init();
            return storage;
          },
        },
      ],
      exports: [BLOB_STORAGE],
    };
  }
}
