// read: the list query on LOCAL (10,000 faces in the ledger) through facegraph, against a bare
// @apollo/server 5 answering the same JSON from memory. Three sides under autocannon (50 connections), in
// interleaved slices (rotating which side goes first), so drift on a shared machine hits them alike: the
// gateway as configured by default (its response cache answers the repeated query), the gateway asked for a
// fresh answer every time (`cache-control: no-cache`: the whole resolution, ledger included), and the baseline.
// The gateway's RSS (after a forced GC) is taken after every slice, for the memory case.

import { requireFromRoot, round, size, sleep, startChild, summarize } from '../lib/util.mjs';

const autocannon = requireFromRoot('autocannon');

export const READ_QUERY =
  'query Read($id: ID!) { library(id: $id) { faces(first: 50) { ' +
  'edges { node { id externalImageId fields person { name } } } } } }';

export function cannon({ url, body, connections, duration, headers = {} }) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body,
        connections,
        duration,
        timeout: 10,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

export async function readCase({ gateway, libraryId, client }) {
  const connections = 50;
  const slices = size(3, 2);
  const sliceSeconds = size(5, 2);
  const body = JSON.stringify({ query: READ_QUERY, variables: { id: libraryId }, operationName: 'Read' });

  // The gateway's answer, served verbatim (as data) by the baseline; the two bodies must be identical.
  const reference = await client.post(gateway.info.url, body);
  const parsed = JSON.parse(reference.body);
  if (parsed.errors || parsed.data.library.faces.edges.length !== 50)
    throw new Error(`read query failed: ${reference.body.slice(0, 300)}`);
  const baseline = await startChild(
    'baseline-child.mjs',
    { BENCH_BASELINE: JSON.stringify({ libraryId, library: parsed.data.library }) },
    { label: 'baseline' },
  );
  try {
    const check = await client.post(baseline.info.url, body);
    if (check.body !== reference.body)
      throw new Error(
        `the baseline's answer differs from the ` +
          `gateway's:\n${check.body.slice(0, 200)}\n${reference.body.slice(0, 200)}`,
      );

    const sides = {
      gateway: { url: gateway.info.url, headers: {}, runs: [] },
      gatewayFresh: { url: gateway.info.url, headers: { 'cache-control': 'no-cache' }, runs: [] },
      baseline: { url: baseline.info.url, headers: {}, runs: [] },
    };
    // Warm-up (JIT, connection pools), not counted.
    for (const side of Object.values(sides))
      await cannon({ url: side.url, headers: side.headers, body, connections, duration: size(3, 1) });

    const rssAfterSlices = [];
    const names = Object.keys(sides);
    for (let i = 0; i < slices; i++) {
      const order = names.map((_, k) => names[(i + k) % names.length]);
      for (const name of order) {
        const r = await cannon({
          url: sides[name].url,
          headers: sides[name].headers,
          body,
          connections,
          duration: sliceSeconds,
        });
        const ok = r['2xx'];
        sides[name].runs.push({
          seconds: r.duration,
          ok,
          non2xx: r.non2xx,
          errors: r.errors,
          timeouts: r.timeouts,
          rps: ok / r.duration,
          latencyP50: r.latency.p50,
          latencyP99: r.latency.p99,
        });
        if (name !== 'baseline') {
          await gateway.call('gc');
          rssAfterSlices.push(gateway.rss());
        }
        await sleep(300);
      }
    }

    const total = (runs) => {
      const ok = runs.reduce((a, r) => a + r.ok, 0);
      const seconds = runs.reduce((a, r) => a + r.seconds, 0);
      return {
        requests: ok,
        seconds: round(seconds, 2),
        rps: round(ok / seconds, 1),
        failed: runs.reduce((a, r) => a + r.non2xx + r.errors + r.timeouts, 0),
        latencyP50: summarize(runs.map((r) => r.latencyP50)).p50,
        latencyP99: Math.max(...runs.map((r) => r.latencyP99)),
        perSliceRps: runs.map((r) => round(r.rps, 1)),
      };
    };
    const gw = total(sides.gateway.runs);
    const fresh = total(sides.gatewayFresh.runs);
    const base = total(sides.baseline.runs);
    const perSliceRatio = sides.gateway.runs.map((r, i) => round(r.rps / sides.baseline.runs[i].rps, 3));
    const perSliceRatioFresh = sides.gatewayFresh.runs.map((r, i) => round(r.rps / sides.baseline.runs[i].rps, 3));
    return {
      query: READ_QUERY,
      connections,
      slices,
      sliceSeconds,
      responseBytes: Buffer.byteLength(reference.body),
      gateway: gw,
      gatewayFresh: fresh,
      baseline: base,
      ratio: round(gw.rps / base.rps, 3),
      perSliceRatio,
      ratioFresh: round(fresh.rps / base.rps, 3),
      perSliceRatioFresh,
      target: '>= 0.7',
      met: gw.rps / base.rps >= 0.7 && gw.failed === 0,
      // Issue 13: every answer computed, at least bare Apollo's throughput, and a p99 within 3x of its p99.
      metFresh: fresh.rps / base.rps >= 1.0 && fresh.failed === 0,
      p99RatioFresh: round(fresh.latencyP99 / base.latencyP99, 2),
      metTailFresh: fresh.latencyP99 <= 3 * base.latencyP99,
      rssAfterSlices,
      baselineRss: baseline.rss(),
    };
  } finally {
    await baseline.stop();
  }
}
