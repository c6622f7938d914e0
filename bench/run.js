'use strict';
// npm run bench [-- --quick]: starts the built app, seeds it, measures each figure beside a baseline measured in the
// same run, prints a markdown table and writes bench/results/latest.json (latest-quick.json with --quick).
// With BENCH_DATABASE_URL (e.g. mariadb://root@127.0.0.1:3306/bench) the figures run again on MySQL/MariaDB with
// photos in Azure Blob Storage (Azurite, started here). Benchmarks are never part of the tests' pass/fail.
const os = require('node:os');
const { embedded, mysqlAzure } = require('./lib/setups');
const { markdown, writeJson } = require('./lib/report');
const { uploadFigure } = require('./figures/upload');
const { renditionsFigure } = require('./figures/renditions');
const { memoryFigure } = require('./figures/memory');
const { galleryFigure } = require('./figures/gallery');
const { thumbnailFigure } = require('./figures/thumbnail');
const { loginFigure } = require('./figures/login');

const PLANS = {
  full: {
    upload: { clients: 8, perClient: 5, kind: 'photo3mb' },
    memory: { clients: 8, perClient: 5, small: 'photo3mb444', large: 'photo30mb' },
    gallery: { small: 1_000, large: 100_000, deep: 50_000, duration: 10, warmup: 2 },
    thumbnail: { duration: 8, warmup: 2 },
    login: { logins: 120, verifies: 15, parallelVerifies: 30, healthDuration: 5 },
  },
  quick: {
    upload: { clients: 8, perClient: 1, kind: 'photo1mb' },
    memory: { clients: 4, perClient: 1, small: 'photo3mb444', large: 'photo30mb' },
    gallery: { small: 1_000, large: 10_000, deep: 5_000, duration: 1, warmup: 0.5 },
    thumbnail: { duration: 1, warmup: 0.5 },
    login: { logins: 15, verifies: 3, parallelVerifies: 10, healthDuration: 1 },
  },
};

const t0 = Date.now();
const log = (message) => console.error(message.startsWith(' ') ? message : `${message} [${((Date.now() - t0) / 1000).toFixed(0)} s]`);

async function runSetup(setup, plan) {
  const figures = { plan };
  await setup.prepare();
  try {
    log(`\n## ${setup.name}\nMemory (two fresh app starts)`);
    figures.memory = await memoryFigure({ setup, plan, log });
    // The upload request alone first (web role: the jobs wait), then the same app with its workers making renditions.
    let app = await setup.startApp({ ROLE: 'web' });
    try {
      log('Upload ingest');
      const { clients, files, result } = await uploadFigure({ app, setup, plan, log });
      figures.upload = result;
      log('Renditions');
      const renditions = await renditionsFigure({ queued: app, setup, files, log });
      app = renditions.app;
      figures.renditions = renditions.result;
      log('Thumbnail delivery');
      figures.thumbnail = await thumbnailFigure({ app, clients, plan, log });
      log('Gallery');
      figures.gallery = await galleryFigure({ app, setup, plan, log });
      log('Login');
      figures.login = await loginFigure({ app, plan, log });
    } catch (error) {
      const tail = app.stderrTail();
      if (tail) log(`app stderr: ${tail}`);
      throw error;
    } finally {
      await app.stop();
    }
  } finally {
    await setup.close();
  }
  return figures;
}

async function main() {
  const quick = process.argv.includes('--quick');
  const plan = quick ? PLANS.quick : PLANS.full;
  const started = Date.now();
  const setups = [embedded()];
  if (process.env.BENCH_DATABASE_URL) setups.push(mysqlAzure(process.env.BENCH_DATABASE_URL));
  const report = {
    mode: quick ? 'quick' : 'full',
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim(),
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
    },
    setups: [],
  };
  let failed = false;
  for (const setup of setups) {
    try {
      report.setups.push({ name: setup.name, figures: await runSetup(setup, plan) });
    } catch (error) {
      failed = true;
      log(error.stack);
      report.setups.push({ name: setup.name, error: error.message });
    }
  }
  report.seconds = (Date.now() - started) / 1000;
  report.finishedAt = new Date().toISOString();
  const file = writeJson(report, quick);
  console.log(markdown(report));
  log(`\nWrote ${file} (${report.seconds.toFixed(0)} s)`);
  process.exitCode = failed ? 1 : 0;
}

main();
