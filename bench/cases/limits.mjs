// limits: the hostile requests of issue 11 ("Limits on one request") against a LOCAL gateway whose library holds
// 100 faces, and beside them the largest answers the default limits still let through. One request at a time;
// for each kind: HTTP status, latency (p50, max), answer size, and the gateway's peak RSS (VmHWM) after it.
// Before the limits, the four-deep request ran the server out of heap after 67 s; the figures here are what
// the same requests cost now.

import fs from 'node:fs';
import { size } from '../lib/util.mjs';

/** library -> faces(first: N) -> node -> library, `levels` times. */
function nested(levels, first = 100) {
  let inner = 'id';
  for (let i = 0; i < levels; i++) inner = `library { faces(first: ${first}) { edges { node { ${inner} } } } }`;
  return inner;
}

const FILTERED = 'faces(filter: { fields: { dept: $v } }) { totalCount }';
const aliased = (n, field) => Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ');

function peakRss(pid) {
  const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return Number.isFinite(kb) ? kb * 1024 : null;
}

export async function limitsCase({ gateway, client, libraryId, image }) {
  const url = gateway.info.url;
  const search = (imageArg) => `searchFaces(libraryId: $lib, image: ${imageArg}) { __typename }`;
  const kinds = [
    {
      name: 'four deep, first: 100',
      query: `query($id: ID!) { library(id: $id) { faces(first: 100) { edges { node { ${nested(3)} } } } } }`,
      variables: { id: libraryId },
    },
    {
      name: 'three deep, first: 100',
      query: `query($id: ID!) { library(id: $id) { faces(first: 100) { edges { node { ${nested(2)} } } } } }`,
      variables: { id: libraryId },
    },
    {
      // 11 levels, within maxDepth: only the page sizes in the variables make it a million faces.
      name: 'libraries -> faces -> library -> faces, first: $n = 100',
      query: `query($n: Int) { libraries(first: $n) { edges { node { faces(first: $n) { edges { node {
        library { faces(first: $n) { edges { node { id } } } } } } } } } } }`,
      variables: { n: 100 },
    },
    { name: '5,000 aliases', query: `{ ${aliased(5000, 'providers { id }')} }` },
    {
      name: '100 aliased searchFaces, one image variable',
      query: `query($lib: ID!, $image: ImageInput!) { ${aliased(100, search('$image'))} }`,
      variables: { lib: libraryId, image: { base64: image.toString('base64') } },
    },
    {
      name: '300 aliases sharing a 7.3 MB image variable',
      query: `query($lib: ID!, $image: ImageInput!) { ${aliased(300, search('$image'))} }`,
      variables: {
        lib: libraryId,
        image: { base64: Buffer.alloc(Math.floor(7.3 * 0.75 * 2 ** 20), 0x41).toString('base64') },
      },
      repeat: size(5, 2),
    },
    {
      name: '200 aliased searchFaces with image.url',
      query: `query($lib: ID!) { ${aliased(200, search('{ url: "http://127.0.0.1:9/face.jpg" }'))} }`,
      variables: { lib: libraryId },
    },
    {
      name: '6 searchFaces (one over the limit)',
      query: `query($lib: ID!, $image: ImageInput!) { ${aliased(6, search('$image'))} }`,
      variables: { lib: libraryId, image: { base64: image.toString('base64') } },
    },
    {
      name: '400 aliased faces filters, 6 MiB value',
      query: `query($id: ID!, $v: JSON) { library(id: $id) { ${aliased(400, FILTERED)} } }`,
      variables: { id: libraryId, v: 'x'.repeat(6 * 1024 * 1024) },
      repeat: size(5, 2),
    },
    {
      name: 'allowed: 30 aliased faces filters, 6 MiB value (each one refused for its length)',
      query: `query($id: ID!, $v: JSON) { library(id: $id) { ${aliased(30, FILTERED)} } }`,
      variables: { id: libraryId, v: 'x'.repeat(6 * 1024 * 1024) },
      repeat: size(5, 2),
    },
    {
      name: 'allowed: two deep, first: 100 (10,000 faces, cost 40,401)',
      query: `query($id: ID!) { library(id: $id) { faces(first: 100) { edges { node { ${nested(1)} } } } } }`,
      variables: { id: libraryId },
    },
    {
      name: 'allowed: _entities, 100 representations',
      query: `query($r: [_Any!]!) { _entities(representations: $r) { __typename
        ... on Library { id libraryName: name faceCount }
        ... on Face { id vendorFaceId fields library { name } person { name } } } }`,
      variables: { r: Array.from({ length: 100 }, () => ({ __typename: 'Library', id: libraryId })) },
    },
  ];

  const results = [];
  for (const kind of kinds) {
    const body = JSON.stringify({ query: kind.query, variables: kind.variables ?? {} });
    const latencies = [];
    let status;
    let answerBytes;
    let firstError;
    for (let i = 0; i < (kind.repeat ?? size(20, 5)); i++) {
      const res = await client.post(url, body);
      latencies.push(res.ms);
      status = res.status;
      answerBytes = Buffer.byteLength(res.body);
      firstError ??= JSON.parse(res.body).errors?.[0]?.message ?? null;
    }
    const sorted = latencies.sort((a, b) => a - b);
    results.push({
      name: kind.name,
      requestBytes: Buffer.byteLength(body),
      status,
      firstError,
      answerBytes,
      n: sorted.length,
      p50: Math.round(sorted[Math.floor(sorted.length / 2)] * 10) / 10,
      max: Math.round(sorted[sorted.length - 1] * 10) / 10,
      peakRssAfter: peakRss(gateway.pid),
    });
  }
  return { faces: 100, kinds: results };
}
