'use strict';
// The app's own storage adapters (from dist/), used directly for the "straight to storage" upload baseline.
const { Readable } = require('node:stream');
const { dist } = require('./database');

/** setup.storage: { driver: 'local', root } or { driver: 'azure', connectionString, container }. */
async function openStorage(storage) {
  const adapter =
    storage.driver === 'azure'
      ? new (dist('storage/azure-blob.storage').AzureBlobStorage)(storage.connectionString, storage.container)
      : new (dist('storage/local-disk.storage').LocalDiskStorage)(storage.root);
  await adapter.init();
  return adapter;
}

/**
 * Writes the batches concurrently (one writer per batch, its files one after another, as the app does) and
 * returns the MB/s over the wall time.
 */
async function writeStraight(adapter, batches, prefix) {
  const bytes = batches.flat().reduce((sum, file) => sum + file.length, 0);
  const started = process.hrtime.bigint();
  await Promise.all(
    batches.map(async (files, b) => {
      for (const [i, file] of files.entries()) {
        await adapter.put(`${prefix}/${b}-${i}/original.jpg`, Readable.from([file]), { contentType: 'image/jpeg' });
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { mbPerSec: bytes / 1e6 / seconds, seconds, bytes };
}

module.exports = { openStorage, writeStraight };
