'use strict';
// The ceiling for renditions: a standalone sharp script, nothing else in the process, making what the app makes
// (a 1600 px and a 400 px WebP, EXIF orientation applied) from the same files, as many files at once as there are
// cores, written the way the sharp documentation shows: one pipeline per file, cloned for each output.
// Usage: node sharp-renditions.js <folder of files>  → prints {"files": n, "seconds": s} on stdout.
const sharp = require('sharp');
const { readdirSync } = require('node:fs');
const { availableParallelism } = require('node:os');
const { join } = require('node:path');

sharp.cache(false);
const inside = { fit: 'inside', withoutEnlargement: true };

async function renditions(path) {
  const image = sharp(path).rotate();
  await Promise.all([
    image.clone().resize(1600, 1600, inside).webp({ quality: 82 }).toBuffer(),
    image.clone().resize(400, 400, inside).webp({ quality: 78 }).toBuffer(),
  ]);
}

async function main() {
  const dir = process.argv[2];
  const files = readdirSync(dir).map((name) => join(dir, name));
  const started = process.hrtime.bigint();
  let next = 0;
  const lane = async () => {
    while (next < files.length) await renditions(files[next++]);
  };
  await Promise.all(Array.from({ length: availableParallelism() }, lane));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(JSON.stringify({ files: files.length, seconds }));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
