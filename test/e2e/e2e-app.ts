import { createServer } from 'node:net';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';

/** The real app listening on 127.0.0.1 for a browser: SQLite + local disk, or in CI MySQL + Azurite (in-process). */
export async function startE2eApp(env: Record<string, string> = {}): Promise<TestApp & { baseUrl: string }> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const backend = backends().includes('mysql') ? 'mysql' : 'sqlite';
  const t = await createTestApp(backend, { env: { BASE_URL: baseUrl, TRUST_PROXY: '', ...env } });
  await t.app.listen(port, '127.0.0.1');
  return Object.assign(t, { baseUrl });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
