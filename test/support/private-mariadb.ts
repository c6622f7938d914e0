import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const MARIADBD = '/usr/sbin/mariadbd';

/**
 * A MariaDB server of this test's own (temp data dir, own port and socket), so an outage test can stop and start a
 * database without touching the machine's shared server on port 3306.
 */
export interface PrivateMariaDb {
  /** mariadb://root@127.0.0.1:<port>/ — any user is let in (grant tables are skipped: it is a throwaway server). */
  url: string;
  /** Stops the server (SIGTERM) and waits until it has exited: connections are refused from then on. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data, and waits until it answers. */
  start(): Promise<void>;
  /** Stops it for good and deletes its data. */
  destroy(): Promise<void>;
}

export async function startPrivateMariaDb(): Promise<PrivateMariaDb> {
  const dir = mkdtempSync(join(tmpdir(), 'photosphere-mariadb-'));
  const dataDir = join(dir, 'data');
  await promisify(execFile)('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${dataDir}`,
    '--user=root',
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
  ]);
  const port = await freePort();
  const args = [
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--socket=${join(dir, 'mariadb.sock')}`,
    `--pid-file=${join(dir, 'mariadb.pid')}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    '--user=root',
    '--skip-grant-tables',
    '--skip-log-bin',
    '--innodb-buffer-pool-size=32M',
  ];
  let server: ChildProcess | undefined;

  const start = async () => {
    if (server) return;
    // Without --log-error the server logs to stderr, where it says when it accepts connections.
    const child = spawn(MARIADBD, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    server = child;
    // Should the test process end without destroy() (a crash, a kill), the server must not outlive it.
    const orphaned = () => child.kill('SIGKILL');
    process.once('exit', orphaned);
    child.once('exit', () => process.off('exit', orphaned));
    let log = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        log += chunk.toString('utf8');
        if (log.includes('ready for connections')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`mariadbd exited with ${code}:\n${log}`)));
    });
  };
  const stop = async () => {
    const running = server;
    if (!running) return;
    server = undefined;
    if (running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  };

  await start();
  return {
    url: `mariadb://root@127.0.0.1:${port}/`,
    stop,
    start,
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}
