'use strict';
// Starts the built app (`node dist/src/main.js`) as a child process with its own DATA_DIR and port, and measures
// its memory from /proc/<pid>/status (VmRSS now, VmHWM = peak since start).
const { spawn } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { freePort, waitForHttp } = require('./net');

const ROOT = join(__dirname, '..', '..');

/**
 * env: extra environment (DATABASE_URL, AZURE_STORAGE_CONNECTION_STRING, …).
 * dataDir and port: another app's, to start it again on its data at its address (see setups' restartApp).
 * Returns { url, port, pid, dataDir, rssMb(), peakRssMb(), stop({ keepData }) }.
 */
async function startApp({ env = {}, dataDir, port, log = false } = {}) {
  port = port || (await freePort());
  const ownDataDir = !dataDir;
  dataDir = dataDir || mkdtempSync(join(tmpdir(), 'photosphere-bench-'));
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
    cwd: dataDir, // no .env from the project folder leaks in
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'development',
      PORT: String(port),
      DATA_DIR: dataDir,
      STORAGE_CHECK_ON_START: 'false',
      TRUST_PROXY: 'loopback',
      // The upload figures post from 8 clients at once; the default limit (4) would answer half of them 503.
      MAX_CONCURRENT_UPLOADS: '8',
      SESSION_SECRET: 'bench-session-secret-bench-session-secret-0123456789',
      ...env,
    },
    stdio: ['ignore', log ? 'inherit' : 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  let exited = false;
  child.on('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/healthz`, 60_000, () => exited);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${error.message}\n${stderr}`);
  }
  const status = (field) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : NaN;
  };
  return {
    url,
    port,
    pid: child.pid,
    dataDir,
    /** The last lines the app wrote to stderr, and whether it has exited (for error messages). */
    stderrTail: () => (exited ? `[exited] ${stderr}` : stderr),
    rssMb: () => status('VmRSS'),
    peakRssMb: () => status('VmHWM'),
    /** keepData: leave DATA_DIR for an app started again on it. */
    async stop({ keepData = false } = {}) {
      if (!exited) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await gone;
        clearTimeout(timer);
      }
      if (ownDataDir && !keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

module.exports = { startApp, ROOT };
