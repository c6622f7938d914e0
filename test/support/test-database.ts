import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DatabaseConfig } from '../../src/config/app-config';

export type Backend = 'sqlite' | 'mysql';

/**
 * The databases every HTTP and database suite runs on: SQLite always, MySQL/MariaDB when TEST_DATABASE_URL is set.
 * In CI the MySQL run is mandatory, so a missing database fails the suites instead of silently skipping them.
 */
export function backends(): Backend[] {
  if (process.env.TEST_DATABASE_URL) return ['sqlite', 'mysql'];
  if (process.env.CI) throw new Error('CI must run every suite on MySQL too: TEST_DATABASE_URL is not set.');
  return ['sqlite'];
}

export interface TestDatabase {
  dataDir: string;
  database: DatabaseConfig;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database (and DATA_DIR) for one suite, so suites can run in parallel; for MySQL on the server of
 * TEST_DATABASE_URL unless another server is given (an outage test's own server).
 */
export async function createTestDatabase(backend: Backend, server = process.env.TEST_DATABASE_URL): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'photosphere-test-'));
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  if (backend === 'sqlite') {
    return { dataDir, database: { driver: 'sqlite', file: join(dataDir, 'test.sqlite') }, drop: async () => removeDataDir() };
  }
  const serverUrl = new URL(server!);
  const name = `photosphere_test_${randomBytes(6).toString('hex')}`;
  await withServer(serverUrl, (sql) => sql.query(`CREATE DATABASE \`${name}\``));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    dataDir,
    database: { driver: url.protocol === 'mariadb:' ? 'mariadb' : 'mysql', url: url.toString() },
    drop: async () => {
      await withServer(serverUrl, (sql) => sql.query(`DROP DATABASE IF EXISTS \`${name}\``));
      removeDataDir();
    },
  };
}

async function withServer(url: URL, run: (sql: Awaited<ReturnType<typeof createConnection>>) => Promise<unknown>) {
  const connection = await createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  });
  try {
    await run(connection);
  } finally {
    await connection.end();
  }
}
