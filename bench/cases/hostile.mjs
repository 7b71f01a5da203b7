// hostile images: RSS of a LOCAL server while twenty hostile images (decompression bombs, truncated huge images,
// TIFFs declaring huge images) arrive at once, half as registerFace and half as searchFaces, each in a request
// of its own; the answers each got (a typed error, or a success) and the latency of a cheap query meanwhile.

import { createLocalLibrary } from './engine.mjs';
import { samplePhoto } from '../lib/images.mjs';
import { httpClient, now, requireFromRoot, round, size, sleep, summarize } from '../lib/util.mjs';

const sharp = requireFromRoot('sharp');
const squared = (photo) => sharp(photo).resize(1920, 1920, { fit: 'contain', background: 'gray' }).jpeg().toBuffer();

const RESULT = [
  '__typename ... on Error { message }',
  '... on ImageRejectedError { reason } ... on RateLimitedError { retryAfterSeconds }',
].join(' ');
const REGISTER = `mutation Register($i: RegisterFaceInput!) { registerFace(input: $i) { ${RESULT} } }`;
const SEARCH = `query Search($l: ID!, $img: ImageInput!) { searchFaces(libraryId: $l, image: $img) { ${RESULT} } }`;
const CHEAP = '{ providers { id } }';
const registerBody = (libraryId, bytes) =>
  JSON.stringify({ query: REGISTER, variables: { i: { libraryId, image: { base64: bytes.toString('base64') } } } });
const SAMPLE_MS = 20;
const ROUND_BUDGET_MS = 120_000;

function outcomeOf(res) {
  try {
    const data = JSON.parse(res.body).data;
    const result = data?.registerFace ?? data?.searchFaces;
    if (!result) return `HTTP ${res.status} ${res.body.slice(0, 80)}`;
    return result.reason ? `${result.__typename} ${result.reason}` : result.__typename;
  } catch {
    return `HTTP ${res.status}`;
  }
}

/** One round: all twenty at once; RSS sampled every SAMPLE_MS until every answer is in. */
async function hostileRound(gateway, libraryId, hostile) {
  const url = gateway.info.url;
  const client = httpClient(hostile.length);
  const probeClient = httpClient(1);
  let peak = gateway.rss();
  let answered = false;
  const sampler = (async () => {
    while (!answered) {
      peak = Math.max(peak, gateway.rss() ?? 0);
      await sleep(SAMPLE_MS);
    }
  })();
  const probeLatencies = [];
  const prober = (async () => {
    while (!answered) {
      const r = await probeClient.post(url, JSON.stringify({ query: CHEAP }));
      if (r.status === 200 && !r.body.includes('"errors"')) probeLatencies.push(r.ms);
      await sleep(100);
    }
  })();
  const started = now();
  const outcomes = {};
  const byImage = {};
  await Promise.all(
    hostile.map(async ({ name, bytes }, i) => {
      const body =
        i % 2 === 0
          ? registerBody(libraryId, bytes)
          : JSON.stringify({ query: SEARCH, variables: { l: libraryId, img: { base64: bytes.toString('base64') } } });
      const late = sleep(ROUND_BUDGET_MS).then(() => ({ status: 0, body: 'no answer in time' }));
      const res = await Promise.race([client.post(url, body), late]);
      const outcome = outcomeOf(res);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      (byImage[name] ??= {})[outcome] = (byImage[name][outcome] ?? 0) + 1;
    }),
  );
  const seconds = round((now() - started) / 1000, 2);
  answered = true;
  await Promise.all([sampler, prober]);
  client.close();
  probeClient.close();
  return { seconds, peak, outcomes, byImage, cheapQueryDuring: summarize(probeLatencies) };
}

export async function hostileImagesCase({ gateway, client, images, hostile }) {
  const url = gateway.info.url;
  const libraryId = await createLocalLibrary(client, url, 'hostile');
  // Warm-up: face crops and demo photos padded to 1920 x 1920 (analysed at 1280 x 1280, the engine's largest
  // input) through the engine, so the baseline includes its steady state: each worker's WASM heap grows to fit
  // the largest image it has analysed and never shrinks.
  const squarePhotos = await Promise.all([1, 2, 3, 4].map((n) => squared(samplePhoto(n))));
  const warmUp = [...images.slice(0, 4), ...squarePhotos];
  const warmUpClient = httpClient(2);
  for (let i = 0; i < warmUp.length; i += 2) {
    // Two at a time, so both engine workers get images.
    await Promise.all(warmUp.slice(i, i + 2).map((image) => warmUpClient.post(url, registerBody(libraryId, image))));
  }
  warmUpClient.close();
  await gateway.call('gc');
  const baseline = gateway.rss();
  const rounds = [];
  for (let r = 0; r < size(3, 1); r++) {
    await gateway.call('gc');
    const before = gateway.rss();
    const result = await hostileRound(gateway, libraryId, hostile);
    await sleep(500);
    await gateway.call('gc');
    rounds.push({ before, ...result, after: gateway.rss() });
  }
  const peakAboveBaseline = Math.max(...rounds.map((r) => r.peak)) - baseline;
  const afterAboveBaseline = rounds[rounds.length - 1].after - baseline;
  return {
    images: hostile.map((h) => ({ name: h.name, bytes: h.bytes.length })),
    baseline,
    rounds,
    peakAboveBaseline,
    afterAboveBaseline,
    target: 'peak and after within 300 MB of the baseline (RSS after warm-up)',
    met: peakAboveBaseline <= 300e6 && afterAboveBaseline <= 300e6,
  };
}
