'use strict';
// Thumbnail delivery: /photos/:id/thumbnail (login, owner lookup, storage stream) full and 304, beside a static
// file with the same bytes served by the same app from public/ (created for the run and removed afterwards).
const { unlinkSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { ROOT } = require('../lib/app-process');
const { load } = require('../lib/load');

async function thumbnailFigure({ app, clients, plan, log }) {
  const { duration, warmup } = plan.thumbnail;
  const client = clients[0];
  const gallery = await client.get('/');
  const path = /(\/photos\/[0-9a-f-]{36}\/thumbnail)"/.exec(gallery.body)?.[1];
  if (!path) throw new Error('no thumbnail on the uploader’s gallery');
  const res = await fetch(app.url + path, { headers: client.headers() });
  const bytes = Buffer.from(await res.arrayBuffer());
  const etag = res.headers.get('etag');
  if (res.status !== 200 || !etag) throw new Error(`thumbnail: HTTP ${res.status}, ETag ${etag}`);

  const staticName = `bench-thumbnail-${process.pid}.webp`;
  const staticFile = join(ROOT, 'public', staticName);
  writeFileSync(staticFile, bytes);
  try {
    const staticRes = await fetch(`${app.url}/${staticName}`);
    await staticRes.arrayBuffer();
    const staticEtag = staticRes.headers.get('etag');
    const runs = {
      full: await load({ url: app.url + path, duration, warmup, headers: client.headers() }),
      notModified: await load({ url: app.url + path, duration, warmup, headers: client.headers({ 'If-None-Match': etag }) }),
      staticFull: await load({ url: `${app.url}/${staticName}`, duration, warmup }),
      staticNotModified: await load({ url: `${app.url}/${staticName}`, duration, warmup, headers: { 'If-None-Match': staticEtag } }),
    };
    if (runs.full.statusCounts['2xx'] !== runs.full.requests) throw new Error('thumbnail full: not all 200');
    if (runs.notModified.statusCounts['3xx'] !== runs.notModified.requests) throw new Error('thumbnail 304: not all 304');
    for (const [name, run] of Object.entries(runs)) log(`  ${name}: ${run.rpsOverall.toFixed(0)} req/s, p99 ${run.p99} ms`);
    const fullRatio = runs.full.rpsOverall / runs.staticFull.rpsOverall;
    const notModifiedRatio = runs.notModified.rpsOverall / runs.staticNotModified.rpsOverall;
    return { thumbnailBytes: bytes.length, runs, fullRatio, notModifiedRatio, goal: 'none set (reported)', met: null };
  } finally {
    unlinkSync(staticFile);
  }
}

module.exports = { thumbnailFigure };
