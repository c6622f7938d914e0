'use strict';
// The markdown table (one row per figure, each beside its same-run baseline and the ratio) and latest.json.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const n = (value, digits = 0) => (value === undefined || value === null || Number.isNaN(value) ? '–' : Number(value).toFixed(digits));
const mark = (met) => (met === null || met === undefined ? '–' : met ? 'yes' : '**no**');

function rows(f) {
  const out = [];
  if (f.upload) {
    const u = f.upload;
    out.push([
      `Upload ingest: ${u.files} × ${n(u.meanFileMb, 1)} MB JPEG, ${f.plan.upload.clients} clients`,
      `${n(u.appMbPerSec, 1)} MB/s (${n(u.appPhotosPerSec, 1)} photos/s)`,
      `${n(u.storageMbPerSec, 1)} MB/s straight to storage`,
      n(u.ratio, 2),
      '≥ 0.6',
      mark(u.met),
    ]);
  }
  if (f.renditions) {
    const r = f.renditions;
    out.push([
      `Renditions by the workers: the same ${r.files} files`,
      `${n(r.workerPhotosPerSec, 2)} photos/s`,
      `${n(r.sharpPhotosPerSec, 2)} photos/s standalone sharp`,
      n(r.ratio, 2),
      '≥ 0.8',
      mark(r.met),
    ]);
  }
  if (f.memory) {
    const m = f.memory;
    out.push([
      `Peak RSS, ${f.plan.memory.clients} × ${f.plan.memory.perClient} files of ${n(m.large.meanFileMb, 1)} MB vs ${n(m.small.meanFileMb, 1)} MB`,
      `${n(m.large.peakRssMb)} MB`,
      `${n(m.small.peakRssMb)} MB`,
      `${n(m.ratio, 2)} (Δ ${n(m.differenceMb)} MB)`,
      'Δ < 100 MB',
      mark(m.met),
    ]);
  }
  if (f.gallery) {
    const g = f.gallery;
    const [small, large, deep] = Object.entries(g.pages);
    const fmt = ([, r]) => `${n(r.rpsOverall)} req/s, p50 ${r.p50} / p99 ${r.p99} ms`;
    out.push([
      `Gallery ${small[0]} (${n(small[1].pageBytes / 1024)} KB)`,
      fmt(small),
      `constant page: ${n(g.baseline.rpsOverall)} req/s, p99 ${g.baseline.p99} ms`,
      n(small[1].rpsOverall / g.baseline.rpsOverall, 2),
      '',
      '',
    ]);
    out.push([
      `Gallery ${large[0]}`,
      fmt(large),
      `p99 at ${small[0].split(', ')[1]}: ${small[1].p99} ms`,
      `p99 ${n(g.p99Ratio, 2)}; req/s vs constant ${n(g.throughputRatio, 2)}`,
      'p99 ≤ 1.5×; req/s ≥ 0.5×',
      mark(g.p99Ratio <= 1.5 && g.throughputRatio >= 0.5),
    ]);
    out.push([
      `Gallery ${deep[0]}`,
      fmt(deep),
      `p99 at ${small[0].split(', ')[1]}: ${small[1].p99} ms`,
      `p99 ${n(g.deepP99Ratio, 2)}`,
      'p99 ≤ 1.5×',
      mark(g.deepP99Ratio <= 1.5),
    ]);
    const server =
      g.queries.perRequestServerCounted !== undefined
        ? `; ${n(g.queries.perRequestServerCounted, 1)} per whole request (server count)`
        : '';
    out.push([
      'SQL queries per gallery page',
      `${g.queries.first} (first), ${g.queries.deep} (deep)${server}`,
      `${g.pageSize} photos per page`,
      '–',
      'no N+1 (a constant 2: ids, then rows)',
      mark(g.queries.first <= 2 && g.queries.deep <= 2),
    ]);
  }
  if (f.thumbnail) {
    const t = f.thumbnail;
    out.push([
      `Thumbnail ${n(t.thumbnailBytes / 1024, 1)} KB, 200`,
      `${n(t.runs.full.rpsOverall)} req/s, p99 ${t.runs.full.p99} ms`,
      `static file: ${n(t.runs.staticFull.rpsOverall)} req/s`,
      n(t.fullRatio, 2),
      '–',
      '–',
    ]);
    out.push([
      'Thumbnail, If-None-Match → 304',
      `${n(t.runs.notModified.rpsOverall)} req/s, p99 ${t.runs.notModified.p99} ms`,
      `static 304: ${n(t.runs.staticNotModified.rpsOverall)} req/s`,
      n(t.notModifiedRatio, 2),
      '–',
      '–',
    ]);
  }
  if (f.login) {
    const l = f.login;
    out.push(['argon2id verify (m=64 MiB, t=3, p=4)', `p50 ${n(l.argon2VerifyP50Ms)} ms`, '–', '–', 'by design', '–']);
    out.push([
      `Logins, 10 connections (${l.logins})`,
      `${n(l.loginsPerSec, 1)} /s, p50 ${l.loginP50Ms} ms`,
      `raw argon2: ${n(l.argon2VerifiesPerSec, 1)} verifies/s`,
      n(l.loginRatio, 2),
      '–',
      '–',
    ]);
    out.push([
      '/healthz p99 while logins run',
      `${l.healthDuringLogins.p99} ms (max ${l.healthDuringLogins.max}${l.healthDuringLogins.non2xx ? `, ${l.healthDuringLogins.non2xx} × 503` : ''})`,
      `idle: ${l.healthIdle.p99} ms`,
      n(l.healthRatio, 1),
      '< 50 ms',
      mark(l.met),
    ]);
  }
  return out;
}

function table(figures) {
  const header = ['Figure', 'Measured', 'Same-run baseline', 'Ratio', 'Goal', 'Met'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const row of rows(figures)) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

function markdown(report) {
  const parts = [
    `Photosphere benchmark — ${report.mode} run, ${report.finishedAt}, ${report.machine.cpus} × ${report.machine.cpuModel}, Node ${report.machine.node}, ${n(report.seconds)} s`,
  ];
  for (const setup of report.setups) {
    parts.push('', `### ${setup.name}`, '', setup.error ? `Failed: ${setup.error}` : table(setup.figures));
  }
  return parts.join('\n');
}

function writeJson(report, quick) {
  const dir = join(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, quick ? 'latest-quick.json' : 'latest.json');
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  return file;
}

module.exports = { markdown, writeJson };
