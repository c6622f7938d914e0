import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../common/private-files';
import { AppConfig, EnvConfig } from './app-config';

/**
 * Outside production a missing SESSION_SECRET is generated once and kept in DATA_DIR, so sessions survive restarts
 * without any setup. Production must configure one (checked by loadConfig).
 */
export function withSessionSecret(config: EnvConfig): AppConfig {
  if (config.sessionSecret) return { ...config, sessionSecret: config.sessionSecret };
  mkdirSync(config.dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const file = join(config.dataDir, 'session-secret');
  try {
    return { ...config, sessionSecret: readFileSync(file, 'utf8').trim() };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(48).toString('base64url');
  try {
    writeFileSync(file, secret + '\n', { mode: PRIVATE_FILE_MODE, flag: 'wx' });
    return { ...config, sessionSecret: secret };
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return withSessionSecret(config);
    throw error;
  }
}
