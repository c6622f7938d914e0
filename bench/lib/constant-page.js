'use strict';
const { spawn } = require('node:child_process');
const { mkdtempSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { stopChild } = require('./child');
const { freePort, waitForHttp } = require('./net');
const { ROOT } = require('./app-process');

/** Starts baselines/constant-page-server.js serving `html`; returns { url, stop() }. */
async function startConstantPage(html) {
  const dir = mkdtempSync(join(tmpdir(), 'photosphere-bench-page-'));
  const file = join(dir, 'page.html');
  writeFileSync(file, html);
  const port = await freePort();
  const child = spawn(process.execPath, [join(__dirname, '..', 'baselines', 'constant-page-server.js'), String(port), file], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}/`;
  await waitForHttp(url, 20_000, () => child.exitCode !== null);
  return {
    url,
    stop: () => stopChild(child, dir),
  };
}

module.exports = { startConstantPage };
