// LOCAL footprint: resident memory of a LOCAL server (the whole process: main thread and the face engine's worker
// threads share one RSS) after start, at its peak while registrations keep the engine busy, and after them.
// Targets (issue 13): <= 400 MB after start, <= 600 MB under load.

import { createLocalLibrary, REGISTER } from './engine.mjs';
import { httpClient, now, size, sleep } from '../lib/util.mjs';

const SAMPLE_MS = 50;
const LANES = 4;

export async function localFootprintCase({ gateway, client, images }) {
  const url = gateway.info.url;
  await gateway.call('gc');
  const afterStart = gateway.rss();
  const libraryId = await createLocalLibrary(client, url, 'footprint');
  const registrations = size(60, 12);
  const budgetMs = size(90_000, 30_000);

  let peak = gateway.rss();
  let running = true;
  const sampler = (async () => {
    while (running) {
      peak = Math.max(peak, gateway.rss() ?? 0);
      await sleep(SAMPLE_MS);
    }
  })();
  const lanes = httpClient(LANES);
  let next = 0;
  let ok = 0;
  const other = {};
  const started = now();
  const deadline = started + budgetMs;
  await Promise.all(
    Array.from({ length: LANES }, async () => {
      while (next < registrations && now() < deadline) {
        const image = images[next++ % images.length];
        const body = JSON.stringify({
          query: REGISTER,
          variables: { i: { libraryId, image: { base64: image.toString('base64') } } },
        });
        const res = await lanes.post(url, body);
        const typename = /"__typename":"(\w+)"/.exec(res.body)?.[1] ?? `HTTP ${res.status}`;
        if (typename === 'RegisterFaceSuccess') ok++;
        else other[typename] = (other[typename] ?? 0) + 1;
      }
    }),
  );
  const seconds = (now() - started) / 1000;
  running = false;
  await sampler;
  lanes.close();
  await gateway.call('gc');
  const after = gateway.rss();
  return {
    afterStart,
    peakUnderLoad: peak,
    afterLoad: after,
    registered: ok,
    failures: other,
    registrationsPerSecond: Math.round((ok / seconds) * 100) / 100,
    lanes: LANES,
    sampleMs: SAMPLE_MS,
    target: 'after start <= 400 MB, peak under load <= 600 MB',
    met: afterStart <= 400e6 && peak <= 600e6,
  };
}
