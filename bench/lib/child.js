'use strict';
const { rmSync } = require('node:fs');

/** Stops a helper child process (SIGTERM, then waits for it) and removes its temp folder. */
async function stopChild(child, dir) {
  if (child.exitCode === null) {
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await gone;
  }
  rmSync(dir, { recursive: true, force: true });
}

module.exports = { stopChild };
