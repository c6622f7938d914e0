import { ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../src/common/project-root';

const BUILDS = join(PROJECT_ROOT, '.build-test');

/**
 * The app compiled as `npm run build` does, into `.build-test/<hash of the sources>`: built once and shared by every
 * suite (and later runs) until a source file changes; two suites building at once both finish, and one build wins.
 */
export async function builtApp(): Promise<string> {
  const dir = join(BUILDS, sourcesHash());
  if (existsSync(join(dir, 'src', 'main.js'))) return dir;
  const scratch = join(BUILDS, `building-${randomBytes(6).toString('hex')}`);
  const tsc = join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', join(PROJECT_ROOT, 'tsconfig.build.json'), '--outDir', scratch]);
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    throw new Error(`The build failed:\n${(error as { stdout?: string }).stdout ?? error}`);
  }
  try {
    renameSync(scratch, dir);
  } catch {
    rmSync(scratch, { recursive: true, force: true }); // another suite finished the same build first
  }
  return dir;
}

function sourcesHash(): string {
  const hash = createHash('sha256');
  const files = ['tsconfig.json', 'tsconfig.build.json', 'mikro-orm.config.ts', ...walk(join(PROJECT_ROOT, 'src'))];
  for (const file of files) hash.update(file).update(readFileSync(join(PROJECT_ROOT, file)));
  return hash.digest('hex').slice(0, 16);
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [relative(PROJECT_ROOT, path)];
    });
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface AppProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** The JSON log lines written so far. */
  logs(): Array<Record<string, unknown>>;
  /**
   * Resolves with the first log line (already written or still to come) that matches; rejects, with the whole log, if
   * the process ends without writing one.
   */
  waitForLog(matches: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, and SIGKILL if still running after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * `node dist/src/main.js` as an operator runs it: its own process, port and environment (nothing inherited but
 * PATH), its working directory in DATA_DIR so no project .env leaks in. Resolves once it logs that it is listening.
 */
export async function startAppProcess(build: string, env: Record<string, string>, port?: number): Promise<AppProcess> {
  port ??= await freePort();
  const child = spawn(process.execPath, [join(build, 'src', 'main.js')], {
    cwd: env.DATA_DIR,
    env: { PATH: process.env.PATH, NODE_ENV: 'test', PORT: String(port), TRUST_PROXY: 'loopback', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const listeners = new Set<() => void>();
  let stderr = '';
  // Nest's logger writes errors to stderr and the rest to stdout: both are the app's log.
  const readLines = (stream: NodeJS.ReadableStream) => {
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const complete = buffered.split('\n');
      buffered = complete.pop()!;
      for (const line of complete) {
        if (process.env.TEST_LOGS) console.log(`[app ${port}] ${line}`);
        try {
          lines.push(JSON.parse(line));
        } catch {
          lines.push({ message: line });
        }
      }
      for (const listener of listeners) listener();
    });
  };
  readLines(child.stdout!);
  readLines(child.stderr!);
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let running = true;
  void exited.then(() => (running = false));
  /** All of its output has been read: no log line can come any more. */
  const ended = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const log = () => lines.map((l) => JSON.stringify(l)).join('\n');

  const waitForLog = (matches: (line: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = lines.find(matches);
        if (!found) return;
        listeners.delete(check);
        resolve(found);
      };
      listeners.add(check);
      check();
      void ended.then(() => {
        listeners.delete(check);
        reject(new Error(`The app ended without such a log line:\n${stderr}\n${log()}`));
      });
    });

  await waitForLog((line) => typeof line.message === 'string' && line.message.startsWith('Listening on '));
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    port,
    child,
    logs: () => lines,
    waitForLog,
    exited,
    async stop(graceMs = 30_000) {
      if (!running) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** `node dist/src/cli/main.js <args>` (what `npm run cli -- <args>` runs), with the given environment. */
export async function runCli(
  build: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(build, 'src', 'cli', 'main.js'), ...args], {
    cwd: env.DATA_DIR,
    env: { PATH: process.env.PATH, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const code = await new Promise<number>((resolve) => child.once('exit', (exitCode) => resolve(exitCode ?? -1)));
  return { code, stdout, stderr };
}
