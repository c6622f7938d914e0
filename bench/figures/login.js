'use strict';
// Login: argon2 verify p50 in this process with the app's parameters; logins/s through the app at 10 connections
// beside raw argon2 verifies/s at the same concurrency; /healthz p99 while the logins run, beside /healthz p99 idle.
//
// The login limit is 10 per minute per client address, and every login needs its own visitor's CSRF cookie and token.
// So these are fetched first (GET /login, one X-Forwarded-For address each), and autocannon then posts each login
// once, with that visitor's cookie, token and address. The logins go to as many accounts as there are connections:
// one account runs only 2 of its logins at once (see LoginBudget), and ten people logging in at the same moment is
// what this measures, not one person logging in ten times.
const argon2 = require('argon2');
const autocannon = require('autocannon');
const { Client, newUser, PASSWORD } = require('../lib/client');
const { dist } = require('../lib/database');
const { load } = require('../lib/load');

const CONNECTIONS = 10;

async function argon2Figures(verifies, concurrency, total) {
  const { ARGON2_OPTIONS } = dist('users/password-hasher');
  const hash = await argon2.hash(PASSWORD, ARGON2_OPTIONS);
  const times = [];
  for (let i = 0; i < verifies; i++) {
    const started = process.hrtime.bigint();
    if (!(await argon2.verify(hash, PASSWORD))) throw new Error('argon2 verify failed');
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) await argon2.verify(hash, PASSWORD);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { verifyP50Ms: times[Math.floor(times.length / 2)], verifiesPerSec: total / seconds };
}

async function loginFigure({ app, plan, log }) {
  const { logins, verifies, parallelVerifies, healthDuration } = plan.login;
  const raw = await argon2Figures(verifies, 10, parallelVerifies);
  log(`  argon2 verify p50 ${raw.verifyP50Ms.toFixed(0)} ms, ${raw.verifiesPerSec.toFixed(1)} verifies/s at 10 in parallel`);

  const usernames = Array.from({ length: CONNECTIONS }, (_, i) => `loginbench${i}`);
  for (const username of usernames) await newUser(app.url, username);
  const pool = [];
  for (let i = 0; i < logins; i++) {
    const client = new Client(app.url);
    await client.get('/login');
    pool.push({ client, username: usernames[i % CONNECTIONS] });
  }
  const healthIdle = await load({ url: `${app.url}/healthz`, connections: 1, duration: healthDuration });
  log(`  /healthz idle: p50 ${healthIdle.p50} ms, p99 ${healthIdle.p99} ms`);

  let taken = 0;
  const body = ({ client, username }) => new URLSearchParams({ _csrf: client.csrf, identifier: username, password: PASSWORD }).toString();
  // /healthz at one connection for as long as the logins run.
  let healthInstance;
  const healthResult = new Promise((resolve, reject) => {
    healthInstance = autocannon({ url: `${app.url}/healthz`, connections: 1, duration: 600 }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
  const started = process.hrtime.bigint();
  const loginRun = await load({
    url: `${app.url}/login`,
    connections: CONNECTIONS,
    amount: logins,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const login = pool[taken++ % pool.length];
          return {
            ...req,
            headers: { ...login.client.headers(), 'Content-Type': 'application/x-www-form-urlencoded' },
            body: body(login),
          };
        },
      },
    ],
  });
  const loginSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  healthInstance.stop();
  const health = await healthResult;
  if (loginRun.statusCounts['3xx'] !== logins) {
    throw new Error(`logins: ${loginRun.statusCounts['3xx']} of ${logins} answered 303 (${JSON.stringify(loginRun.statusCounts)})`);
  }
  const loginsPerSec = logins / loginSeconds;
  log(
    `  ${logins} logins in ${loginSeconds.toFixed(1)} s: ${loginsPerSec.toFixed(1)}/s, p50 ${loginRun.p50} ms; /healthz p99 ${health.latency.p99} ms meanwhile (${health.non2xx} of ${health.requests.total} not 200)`,
  );
  return {
    argon2VerifyP50Ms: raw.verifyP50Ms,
    argon2VerifiesPerSec: raw.verifiesPerSec,
    logins,
    loginsPerSec,
    loginP50Ms: loginRun.p50,
    loginP99Ms: loginRun.p99,
    loginRatio: loginsPerSec / raw.verifiesPerSec,
    healthIdle: { p50: healthIdle.p50, p99: healthIdle.p99, rps: healthIdle.rpsOverall },
    healthDuringLogins: {
      p50: health.latency.p50,
      p99: health.latency.p99,
      max: health.latency.max,
      requests: health.requests.total,
      non2xx: health.non2xx,
    },
    healthRatio: health.latency.p99 / Math.max(healthIdle.p99, 1),
    goal: '/healthz p99 < 50 ms during logins',
    met: health.latency.p99 < 50,
  };
}

module.exports = { loginFigure };
