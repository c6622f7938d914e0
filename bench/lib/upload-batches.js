'use strict';
// Drives the upload: `clients` logged-in users post their batch at the same time; checks every file was accepted.
const { newUser } = require('./client');

/** Registers and logs in one user per batch. */
async function uploaders(app, count, prefix) {
  const clients = [];
  for (let i = 0; i < count; i++) clients.push(await newUser(app.url, `${prefix}${i}`));
  return clients;
}

/** Posts batches[i] from clients[i], all at once; returns { seconds, bytes, mbPerSec }. */
async function uploadConcurrently(clients, batches) {
  const bytes = batches.flat().reduce((sum, file) => sum + file.length, 0);
  const started = process.hrtime.bigint();
  await Promise.all(batches.map((files, i) => clients[i].upload(files)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // The flash message on the next page says how many went in.
  for (const [i, files] of batches.entries()) {
    const { body } = await clients[i].get('/');
    const expected = `${files.length} photo${files.length === 1 ? '' : 's'} uploaded.`;
    if (!body.includes(expected)) {
      const message = /class="[^"]*alert[^"]*"[^>]*>([\s\S]{0,400}?)<\/div>/.exec(body)?.[1] ?? '(no message)';
      throw new Error(`upload batch ${i} was not fully accepted: ${message.replace(/\s+/g, ' ').trim()}`);
    }
  }
  return { seconds, bytes, mbPerSec: bytes / 1e6 / seconds };
}

/** Splits files into `count` batches of `size`. */
function toBatches(files, count, size) {
  return Array.from({ length: count }, (_, i) => files.slice(i * size, (i + 1) * size));
}

module.exports = { uploaders, uploadConcurrently, toBatches };
