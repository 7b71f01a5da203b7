// write overhead: updateFace through facegraph to the HUAWEI_FRS emulator, against the same signed
// PUT .../faces sent straight to the emulator; the two alternate request by request (the order flips every
// pair), each side on its own keep-alive connection, one request at a time. A third side, when given, is the
// floor of any gateway: a bare node:http relay that signs and sends the same PUT (bench/lib/relay-child.mjs).
// memory (gateway): RSS after repeated rounds of registerFace through facegraph to the emulator.

import { dist, expectMember, gql, httpClient, now, round, size, summarize } from '../lib/util.mjs';
import { frsPictures } from '../lib/images.mjs';

/** Emulator-only credentials (the emulator accepts whatever it is started with). */
export const FRS = {
  projectId: '0123456789abcdef0123456789abcdef',
  accessKeyId: 'BENCHAK0000000000001',
  secretAccessKey: 'bench-only-secret-not-a-real-huawei-sk',
};

const UPDATE =
  'mutation Update($i: UpdateFaceInput!) { updateFace(input: $i) { __typename ' +
  '... on UpdateFaceSuccess { face { id fields } } ... on Error { code message } } }';
const REGISTER =
  'mutation Register($i: RegisterFaceInput!) { registerFace(input: $i) { __typename ' +
  '... on RegisterFaceSuccess { face { id vendorFaceId } } ... on Error { code message } } }';

async function createFrsLibrary(client, url, name, fields = [{ name: 'dept', type: 'STRING' }]) {
  const data = await gql(
    client,
    url,
    'mutation($i: CreateLibraryInput!) { createLibrary(input: $i) { __typename ' +
      '... on CreateLibrarySuccess { library { id } } ... on Error { code message } } }',
    { i: { providerId: 'hw', name, fields } },
  );
  return expectMember(data.createLibrary, 'CreateLibrarySuccess').library.id;
}

export async function writeOverheadCase({ gateway, emulator, client, relay = null }) {
  const { signRequest } = dist('src/datasources/vendors/huawei-frs/signer.js');
  const url = gateway.info.url;
  const libraryId = await createFrsLibrary(client, url, 'writebench');
  const [picture] = await frsPictures(1);
  const registered = await gql(client, url, REGISTER, {
    i: { libraryId, image: { base64: picture.toString('base64') }, fields: { dept: 'd0' } },
  });
  const face = expectMember(registered.registerFace, 'RegisterFaceSuccess').face;

  const gatewayClient = httpClient(1);
  const directClient = httpClient(1);
  const putUrl = `${emulator.info.endpoint}/v2/${FRS.projectId}/face-sets/writebench/faces`;

  // What FrsFaceVendor.updateFace sends for this face (no person): PUT faces { face_id, external_fields }.
  async function direct(value) {
    const body = Buffer.from(JSON.stringify({ face_id: face.vendorFaceId, external_fields: { dept: value } }));
    const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };
    const started = now();
    const signed = signRequest({ method: 'PUT', url: new URL(putUrl), headers: { ...headers }, body }, FRS, {
      projectId: FRS.projectId,
    });
    const res = await directClient.request(putUrl, { method: 'PUT', headers: { ...headers, ...signed }, body });
    if (res.status !== 200) throw new Error(`direct PUT faces: HTTP ${res.status} ${res.body.slice(0, 200)}`);
    return now() - started;
  }
  const relayClient = httpClient(1);
  async function viaRelay(value) {
    const res = await relayClient.post(relay.info.url, JSON.stringify({ faceId: face.vendorFaceId, dept: value }));
    if (!res.body.includes('"UpdateFaceSuccess"'))
      throw new Error(`relay: HTTP ${res.status} ${res.body.slice(0, 200)}`);
    return res.ms;
  }
  async function viaGateway(value) {
    const res = await gatewayClient.post(
      url,
      JSON.stringify({
        query: UPDATE,
        variables: { i: { faceId: face.id, fields: { dept: value } } },
        operationName: 'Update',
      }),
    );
    if (!res.body.includes('"UpdateFaceSuccess"')) throw new Error(`updateFace: ${res.body.slice(0, 300)}`);
    return res.ms;
  }

  const warmup = size(200, 50);
  const pairs = size(2000, 300);
  const budgetMs = size(60_000, 15_000);
  const before = await emulator.call('stats');
  for (let i = 0; i < warmup; i++) {
    await viaGateway(`w${i % 7}`);
    await direct(`w${(i + 3) % 7}`);
    if (relay) await viaRelay(`w${(i + 5) % 7}`);
  }
  const gw = [];
  const dr = [];
  const rl = [];
  const diffs = [];
  const deadline = now() + budgetMs;
  for (let i = 0; i < pairs && now() < deadline; i++) {
    // Each side goes first, second and (with the relay) last equally often.
    const sides = [
      async () => gw.push(await viaGateway(`v${i % 10}`)),
      async () => dr.push(await direct(`v${(i + 5) % 10}`)),
      ...(relay ? [async () => rl.push(await viaRelay(`v${(i + 3) % 10}`))] : []),
    ];
    const shift = i % sides.length;
    for (const side of [...sides.slice(shift), ...sides.slice(0, shift)]) await side();
    diffs.push(gw[gw.length - 1] - dr[dr.length - 1]);
  }
  const after = await emulator.call('stats');
  gatewayClient.close();
  directClient.close();
  relayClient.close();
  const g = summarize(gw);
  const d = summarize(dr);
  const added = round(g.p50 - d.p50, 3);
  return {
    operation: 'updateFace(input: { faceId, fields: { dept } }) -> PUT /v2/{project}/face-sets/{name}/faces',
    pairs: gw.length,
    gateway: g,
    direct: d,
    addedP50: added,
    pairedDifference: summarize(diffs),
    ratioP50: round(g.p50 / d.p50, 2),
    // The floor: what a bare relay adds to the direct PUT, and what facegraph adds on top of that.
    ...(relay
      ? {
          relay: summarize(rl),
          relayAddedP50: round(summarize(rl).p50 - d.p50, 3),
          aboveRelayP50: round(g.p50 - summarize(rl).p50, 3),
        }
      : {}),
    vendorUpdatesSeen: (after.byOperation.updateFace ?? 0) - (before.byOperation.updateFace ?? 0),
    target: 'p50 added <= 1 ms',
    met: added <= 1,
  };
}

/**
 * Rounds of registrations through the gateway to the emulator, 4 at a time: each round creates a face set, fills it
 * and deletes it.
 */
export async function frsRegistrationMemory({ gateway, client }) {
  const url = gateway.info.url;
  // 2,000 per round; the first two rounds are warm-up (allocator, caches), the verdict is over the 12,000 after.
  const rounds = size(8, 4);
  const perRound = size(2000, 200);
  const roundBudgetMs = size(60_000, 20_000);
  const pictures = await frsPictures(16);
  await gateway.call('gc');
  const rss = [gateway.rss()];
  const heap = [(await gateway.call('stats')).heapUsed];
  const done = [];
  const latencies = [];
  for (let r = 0; r < rounds; r++) {
    const libraryId = await createFrsLibrary(client, url, `memory${r}`);
    const lanes = httpClient(4);
    let next = 0;
    let ok = 0;
    const other = {};
    const started = now();
    const deadline = started + roundBudgetMs;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < perRound && now() < deadline) {
          const k = next++;
          const picture = pictures[k % pictures.length];
          const res = await lanes.post(
            url,
            JSON.stringify({
              query: REGISTER,
              variables: {
                i: { libraryId, image: { base64: picture.toString('base64') }, fields: { dept: `d${k % 20}` } },
              },
            }),
          );
          const typename = /"__typename":"(\w+)"/.exec(res.body)?.[1] ?? `HTTP ${res.status}`;
          if (typename === 'RegisterFaceSuccess') {
            ok++;
            latencies.push(res.ms);
          } else other[typename] = (other[typename] ?? 0) + 1;
        }
      }),
    );
    lanes.close();
    done.push({ ok, other, seconds: round((now() - started) / 1000, 1) });
    // Each run leaves the ledger (and the emulator) as it found them, so the runs are the same run repeated.
    const deleted = await gql(
      client,
      url,
      'mutation($id: ID!) { deleteLibrary(id: $id) { __typename ... on Error { code message } } }',
      { id: libraryId },
    );
    expectMember(deleted.deleteLibrary, 'DeleteLibrarySuccess');
    await gateway.call('gc');
    rss.push(gateway.rss());
    heap.push((await gateway.call('stats')).heapUsed);
  }
  return {
    rounds,
    perRound,
    registered: done.map((d) => d.ok),
    total: done.reduce((a, d) => a + d.ok, 0),
    failures: done.map((d) => d.other),
    secondsPerRound: done.map((d) => d.seconds),
    registrationLatency: summarize(latencies),
    rssAfterRounds: rss,
    heapUsedAfterRounds: heap,
  };
}
