import { Provider } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { partialStoreFor } from './partial-store';

/** Injection token for the PartialStore of this instance's configuration. */
export const PARTIAL_STORE = Symbol('PARTIAL_STORE');

export const partialStoreProvider: Provider = {
  provide: PARTIAL_STORE,
  useFactory: (config: AppConfig) => partialStoreFor(config),
  inject: [APP_CONFIG],
};
