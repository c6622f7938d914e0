'use strict';
// Gallery scaling: the first page of `/` for a user with few and with many photos, and a page deep in the scroll,
// at 10 connections; beside a bare Nest route rendering a constant page of the same size. Photo rows are seeded
// straight through MikroORM with the app's entity (the page reads rows only, never blobs).
const { newUser } = require('../lib/client');
const { openOrm, ownerIdOf, seedPhotos, cursorAt, galleryQueryCount } = require('../lib/database');
const { startConstantPage } = require('../lib/constant-page');
const { load } = require('../lib/load');

async function galleryFigure({ app, setup, plan, log }) {
  const { small, large, deep, duration, warmup } = plan.gallery;
  const database = setup.database(app);
  const users = {};
  const orm = await openOrm(database);
  let deepCursor;
  try {
    for (const count of [small, large]) {
      const username = `gallery${count}`;
      const client = await newUser(app.url, username);
      const ownerId = await ownerIdOf(orm, username);
      const started = Date.now();
      await seedPhotos(orm, ownerId, count);
      log(`  seeded ${count} photo rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      users[count] = { client, ownerId };
    }
    deepCursor = await cursorAt(orm, users[large].ownerId, deep);
  } finally {
    await orm.close();
  }

  const pages = {
    [`first page, ${small} photos`]: { client: users[small].client, path: '/' },
    [`first page, ${large} photos`]: { client: users[large].client, path: '/' },
    [`page at photo ${deep} of ${large}`]: { client: users[large].client, path: `/?before=${encodeURIComponent(deepCursor)}` },
  };
  const results = {};
  let sampleHtml;
  for (const [name, { client, path }] of Object.entries(pages)) {
    const page = await client.get(path); // also checks the page renders with 30 cards
    const cards = (page.body.match(/\/thumbnail"/g) || []).length;
    if (page.status !== 200 || cards < 30) throw new Error(`gallery ${path}: HTTP ${page.status}, ${cards} cards`);
    if (!sampleHtml) sampleHtml = page.body;
    const run = await load({ url: app.url + path, duration, warmup, headers: client.headers() });
    if (run.non2xx || run.errors) throw new Error(`gallery ${path}: ${run.non2xx} non-2xx, ${run.errors} errors`);
    results[name] = { ...run, pageBytes: Buffer.byteLength(page.body) };
    log(`  ${name}: ${run.rpsOverall.toFixed(0)} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms, ${results[name].pageBytes} B`);
  }
  // The baseline page: the bytes of the large user's first page, so the sizes match exactly.
  const largeFirst = await users[large].client.get('/');
  const constant = await startConstantPage(largeFirst.body);
  let baseline;
  try {
    baseline = await load({ url: constant.url, duration, warmup });
    baseline.pageBytes = Buffer.byteLength(largeFirst.body);
    log(`  constant page (bare Nest + hbs): ${baseline.rpsOverall.toFixed(0)} req/s, p50 ${baseline.p50} ms, p99 ${baseline.p99} ms`);
  } finally {
    await constant.stop();
  }

  const queries = await galleryQueryCount(database, users[large].ownerId, deepCursor);
  log(`  SQL per gallery page (PhotosService.gallery): first ${queries.first}, deep ${queries.deep}`);

  // On MySQL/MariaDB the server counts every statement, so the whole request (session, user, page) is measurable.
  if (setup.questions) {
    const client = users[large].client;
    const n = 20;
    const before = await setup.questions();
    for (let i = 0; i < n; i++) await client.get('/');
    const after = await setup.questions();
    queries.perRequestServerCounted = (after - before - 1) / n; // minus the first SHOW STATUS itself
    log(`  SQL per gallery request, counted by the server: ${queries.perRequestServerCounted.toFixed(1)}`);
  }

  const [smallRun, largeRun, deepRun] = Object.values(results);
  const p99Ratio = largeRun.p99 / Math.max(smallRun.p99, 1);
  const deepP99Ratio = deepRun.p99 / Math.max(smallRun.p99, 1);
  const throughputRatio = largeRun.rpsOverall / baseline.rpsOverall;
  return {
    pages: results,
    baseline,
    queries,
    p99Ratio,
    deepP99Ratio,
    throughputRatio,
    goal: 'p99 at large <= 1.5 x p99 at small; req/s >= 0.5 x constant page',
    met: p99Ratio <= 1.5 && deepP99Ratio <= 1.5 && throughputRatio >= 0.5,
    pageSize: 30,
  };
}

module.exports = { galleryFigure };
