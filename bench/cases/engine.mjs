// engine isolation: latency of a cheap query (one library lookup) while 4 registerFace calls keep the LOCAL
// face engine busy, against the same query with the engine idle; idle and busy phases interleaved.
// memory (LOCAL): RSS of the server after rounds of real registrations (face engine included).

import { expectMember, gql, httpClient, now, round, size, sleep, summarize } from '../lib/util.mjs';

export const CHEAP_QUERY = 'query Cheap($id: ID!) { library(id: $id) { id name } }';
export const REGISTER =
  'mutation Register($i: RegisterFaceInput!) { registerFace(input: $i) { __typename ' +
  '... on RegisterFaceSuccess { face { id } } ... on Error { code message } } }';

/**
 * Cheap queries on one connection for `ms`, one every PROBE_INTERVAL_MS (the next one at once when an answer
 * takes longer): a steady light load, so the probe measures latency rather than competing for throughput.
 */
const PROBE_INTERVAL_MS = 4;
async function probe(client, url, body, ms, maxSamples) {
  const latencies = [];
  const end = now() + ms;
  while (now() < end && latencies.length < maxSamples) {
    const started = now();
    const r = await client.post(url, body);
    if (r.status !== 200 || r.body.includes('"errors"')) throw new Error(`cheap query failed: ${r.body.slice(0, 200)}`);
    latencies.push(r.ms);
    const wait = PROBE_INTERVAL_MS - (now() - started);
    if (wait > 0.5) await sleep(wait);
  }
  return latencies;
}

/** `lanes` loops of registerFace until stop() resolves; returns { stop, results }. */
function registerLoops(url, libraryId, images, lanes) {
  const client = httpClient(lanes);
  let running = true;
  const results = { ok: 0, other: {}, latencies: [] };
  let n = 0;
  const loops = Array.from({ length: lanes }, async () => {
    while (running) {
      const image = images[n++ % images.length];
      const body = JSON.stringify({
        query: REGISTER,
        variables: { i: { libraryId, image: { base64: image.toString('base64') } } },
      });
      const r = await client.post(url, body);
      const typename = /"__typename":"(\w+)"/.exec(r.body)?.[1] ?? `HTTP ${r.status}`;
      if (typename === 'RegisterFaceSuccess') {
        results.ok++;
        results.latencies.push(r.ms);
      } else results.other[typename] = (results.other[typename] ?? 0) + 1;
    }
  });
  return {
    results,
    async stop() {
      running = false;
      await Promise.all(loops);
      client.close();
    },
  };
}

export async function createLocalLibrary(client, url, name) {
  const data = await gql(
    client,
    url,
    'mutation($i: CreateLibraryInput!) { createLibrary(input: $i) { __typename ' +
      '... on CreateLibrarySuccess { library { id } } ... on Error { code message } } }',
    { i: { providerId: 'local', name } },
  );
  return expectMember(data.createLibrary, 'CreateLibrarySuccess').library.id;
}

export async function engineIsolationCase({ gateway, client, cheapLibraryId, images }) {
  const url = gateway.info.url;
  const libraryId = await createLocalLibrary(client, url, 'isolation');
  const body = JSON.stringify({ query: CHEAP_QUERY, variables: { id: cheapLibraryId }, operationName: 'Cheap' });
  const rounds = size(3, 1);
  const phaseMs = size(8000, 3000);
  const maxSamples = 20_000;
  const probeClient = httpClient(1);
  await probe(probeClient, url, body, 1000, 2000); // warm-up

  const idle = [];
  const busy = [];
  const registrations = { ok: 0, other: {}, latencies: [] };
  for (let r = 0; r < rounds; r++) {
    const phases = r % 2 === 0 ? ['idle', 'busy'] : ['busy', 'idle'];
    for (const phase of phases) {
      if (phase === 'idle') {
        idle.push(...(await probe(probeClient, url, body, phaseMs, maxSamples)));
      } else {
        const loops = registerLoops(url, libraryId, images, 4);
        await sleep(1500); // until the engine is busy and more images wait
        busy.push(...(await probe(probeClient, url, body, phaseMs, maxSamples)));
        await loops.stop();
        registrations.ok += loops.results.ok;
        registrations.latencies.push(...loops.results.latencies);
        for (const [k, v] of Object.entries(loops.results.other))
          registrations.other[k] = (registrations.other[k] ?? 0) + v;
      }
      await sleep(500);
    }
  }
  probeClient.close();
  const idleStats = summarize(idle);
  const busyStats = summarize(busy);
  const ratio = round(busyStats.p99 / idleStats.p99, 2);
  return {
    query: CHEAP_QUERY,
    probeIntervalMs: PROBE_INTERVAL_MS,
    rounds,
    phaseSeconds: phaseMs / 1000,
    idle: idleStats,
    busy: busyStats,
    p99Ratio: ratio,
    p50Ratio: round(busyStats.p50 / idleStats.p50, 2),
    registrationsDuringBusy: {
      ok: registrations.ok,
      other: registrations.other,
      latency: summarize(registrations.latencies),
    },
    target: 'busy p99 <= 2x idle p99',
    met: ratio <= 2,
  };
}

/** Rounds of LOCAL registrations (4 at a time); RSS after a forced GC before and after each round. */
export async function localRegistrationMemory({ gateway, client, images }) {
  const url = gateway.info.url;
  const libraryId = await createLocalLibrary(client, url, 'memory');
  const rounds = size(4, 3);
  const perRound = size(100, 12);
  const roundBudgetMs = size(45_000, 15_000);
  await gateway.call('gc');
  const rss = [gateway.rss()];
  const heap = [(await gateway.call('stats')).heapUsed];
  const done = [];
  for (let r = 0; r < rounds; r++) {
    const lanes = httpClient(4);
    let next = 0;
    let ok = 0;
    const other = {};
    const deadline = now() + roundBudgetMs;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < perRound && now() < deadline) {
          const image = images[next++ % images.length];
          const res = await lanes.post(
            url,
            JSON.stringify({
              query: REGISTER,
              variables: { i: { libraryId, image: { base64: image.toString('base64') } } },
            }),
          );
          const typename = /"__typename":"(\w+)"/.exec(res.body)?.[1] ?? `HTTP ${res.status}`;
          if (typename === 'RegisterFaceSuccess') ok++;
          else other[typename] = (other[typename] ?? 0) + 1;
        }
      }),
    );
    lanes.close();
    await gateway.call('gc');
    rss.push(gateway.rss());
    heap.push((await gateway.call('stats')).heapUsed);
    done.push({ ok, other });
  }
  return {
    rounds,
    perRound,
    registered: done.map((d) => d.ok),
    failures: done.map((d) => d.other),
    rssAfterRounds: rss,
    heapUsedAfterRounds: heap,
  };
}
