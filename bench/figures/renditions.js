'use strict';
// Renditions: photos/s made by the app's workers (the photo.process jobs the upload figure queued: read the original
// from storage, decode once, thumbnail + preview, EXIF date, store, mark ready), beside a standalone sharp script
// making the same two renditions from the same files, in the same run.
const { execFile } = require('node:child_process');
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { promisify } = require('node:util');
const { openStorage } = require('../lib/storage');

/** Standalone sharp on the files, written to a temp folder first (as the app reads its originals from storage). */
async function sharpCeiling(files) {
  const dir = mkdtempSync(join(tmpdir(), 'photosphere-renditions-'));
  try {
    files.forEach((file, i) => writeFileSync(join(dir, `${i}.jpg`), file));
    const script = join(__dirname, '..', 'baselines', 'sharp-renditions.js');
    const { stdout } = await promisify(execFile)(process.execPath, [script, dir]);
    const { seconds } = JSON.parse(stdout);
    return files.length / seconds;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `queued`: the web-only app that took the uploads in (its jobs wait in the table). It is stopped and the app started
 * again on the same data with its workers (ROLE=all, the default); photos/s counts from the moment it answers to the
 * last preview stored, looked for every 50 ms (photos finished before it answered are subtracted).
 * Returns the new app, which serves the figures after this one.
 */
async function renditionsFigure({ queued, setup, files, log }) {
  const before = await sharpCeiling(files);
  log(`  standalone sharp: ${before.toFixed(2)} photos/s`);
  await queued.stop({ keepData: true });
  const started = Date.now();
  const app = await setup.restartApp(queued);
  const answered = Date.now();
  // Counted as the previews in the app's storage (each is written just before its photo is marked ready), not by
  // reading the database beside the app (on SQLite such a reader locks the file against the workers' writes) nor by
  // asking for pages (which would take CPU from the workers).
  const storage = await openStorage(setup.appStorage(app));
  const ready = async () => {
    let previews = 0;
    for await (const blob of storage.list('')) if (blob.key.endsWith('/preview.webp')) previews++;
    return previews;
  };
  const atAnswer = await ready();
  for (;;) {
    const count = await ready();
    if (count >= files.length) break;
    if (Date.now() - answered > 600_000) throw new Error(`only ${count} of ${files.length} photos ready after 10 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const done = Date.now();
  const workers = (files.length - atAnswer) / ((done - answered) / 1000);
  log(
    `  app workers: ${workers.toFixed(2)} photos/s (${atAnswer} ready by the time it answered, ${((answered - started) / 1000).toFixed(1)} s start)`,
  );
  const after = await sharpCeiling(files);
  log(`  standalone sharp again: ${after.toFixed(2)} photos/s`);
  const ceiling = (before + after) / 2;
  return {
    app,
    result: {
      files: files.length,
      workerPhotosPerSec: workers,
      readyWhenAnswered: atAnswer,
      startSeconds: (answered - started) / 1000,
      sharpPhotosPerSec: ceiling,
      sharpPhotosPerSecBefore: before,
      sharpPhotosPerSecAfter: after,
      ratio: workers / ceiling,
      goal: '>= 0.8',
      met: workers / ceiling >= 0.8,
    },
  };
}

module.exports = { renditionsFigure };
