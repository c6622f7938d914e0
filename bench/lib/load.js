'use strict';
// autocannon, run in this process, returning the few numbers the report uses.
const autocannon = require('autocannon');

/**
 * opts: { url, connections, duration (s) | amount, warmup (s, unmeasured), headers, requests, method, body }.
 * Returns { rps, p50, p99, mean, requests, non2xx, errors, bytesPerReq }.
 */
async function load({ warmup = 0, ...opts }) {
  // A short unmeasured run first, so JIT, caches and connection pools are warm for the measured one.
  if (warmup > 0) await autocannon({ connections: 10, ...opts, amount: undefined, duration: warmup });
  const result = await autocannon({ connections: 10, ...opts });
  const total = result.requests.total;
  return {
    rps: result.requests.average,
    // autocannon's rps average is per-second samples; requests/elapsed is steadier for short runs
    rpsOverall: total / (result.duration || 1),
    p50: result.latency.p50,
    p99: result.latency.p99,
    mean: result.latency.mean,
    requests: total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    statusCounts: {
      '2xx': result['2xx'],
      '3xx': result['3xx'],
      '4xx': result['4xx'],
      '5xx': result['5xx'],
    },
    bytesPerReq: total ? result.throughput.total / total : 0,
  };
}

module.exports = { load };
