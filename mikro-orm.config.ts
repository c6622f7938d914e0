import { loadConfig } from './src/config/app-config';
import { databaseOptions } from './src/database/database-options';

/** For MikroORM's own CLI (`npx mikro-orm … --config dist/mikro-orm.config.js`); the app and `npm run migrate` use the same options. */
export default databaseOptions(loadConfig(), console.log);
