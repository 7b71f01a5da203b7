import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { faceId, libraryId } from '../../src/domain/global-id';
import { CreateLibraryDocument, CreatePersonDocument, RegisterFaceDocument } from '../generated/graphql';
import { facePhoto } from '../support/images';
import { rawRequest, type Reply } from '../support/raw-http';
import { execute, startTestServer, type TestServer } from '../support/test-server';

// Hostile requests from issue 11 ("Limits on one request"), each sent over real HTTP to the real server:
// every one is refused before anything executes, and the server answers a normal query right after.

/** A refusal is static work; a client that waits longer than this has met an unbounded request. */
const CLIENT_TIMEOUT_MS = 15_000;
const IMAGE_URL_FETCHES = 2;

let server: TestServer;
let lib: { id: string };
let person: { id: string };
let faces: { id: string }[];
let photo: Buffer;
const logLines: string[] = [];

let imageServer: http.Server;
let imageUrl: string;
let imageRequests = 0;

beforeAll(async () => {
  photo = await facePhoto('A', 'jpeg');
  imageServer = http.createServer((_req, res) => {
    imageRequests++;
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': photo.length });
    res.end(photo);
  });
  await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve));
  imageUrl = `http://127.0.0.1:${(imageServer.address() as AddressInfo).port}/face.jpg`;

  const logTo = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  server = await startTestServer({
    logTo,
    configure: (config) => {
      config.images.urlFetch.allowList = ['127.0.0.1'];
      // Lower than expensiveFieldsPerRequest, so the URL limit is the one hit first.
      config.limits.imageUrlFetchesPerRequest = IMAGE_URL_FETCHES;
    },
  });
  const created = await execute(server.url, CreateLibraryDocument, {
    input: { providerId: 'local', name: 'limits', fields: [{ name: 'dept', type: 'STRING' }] },
  });
  if (created.createLibrary.__typename !== 'CreateLibrarySuccess') throw new Error(JSON.stringify(created));
  lib = created.createLibrary.library;
  const createdPerson = await execute(server.url, CreatePersonDocument, { input: { libraryId: lib.id, name: 'Ada' } });
  if (createdPerson.createPerson.__typename !== 'CreatePersonSuccess') throw new Error(JSON.stringify(createdPerson));
  person = createdPerson.createPerson.person;
  faces = [];
  for (let i = 0; i < 3; i++) {
    const registered = await execute(server.url, RegisterFaceDocument, {
      input: {
        libraryId: lib.id,
        personId: i === 0 ? person.id : null,
        image: { base64: (await facePhoto(i % 2 === 0 ? 'A' : 'B', 'jpeg', i)).toString('base64') },
        fields: { dept: 'sales' },
      },
    });
    if (registered.registerFace.__typename !== 'RegisterFaceSuccess') throw new Error(JSON.stringify(registered));
    faces.push(registered.registerFace.face);
  }
}, 120_000);

afterAll(async () => {
  await server?.close();
  await new Promise<void>((resolve) => (imageServer ? imageServer.close(() => resolve()) : resolve()));
});

function post(query: string, variables?: Record<string, unknown>): Promise<Reply> {
  const body = JSON.stringify({ query, variables });
  return rawRequest(server.origin, 'POST', '/graphql', { 'content-type': 'application/json' }, body, CLIENT_TIMEOUT_MS);
}

/** "...; at most N are allowed (limits.key)": what every refusal ends with. */
const atMost = (allowed: number, key: string, perRequest = false) =>
  `at most ${allowed} ${key === 'maxCost' ? 'is' : 'are'} allowed${perRequest ? ' per request' : ''} (limits.${key})`;

/** The refusal: HTTP 400, nothing executed (no data), and an error naming the limit and its allowed value. */
function expectRefused(reply: Reply, limit: string, message: string | RegExp): void {
  expect(reply.status).toBe(400);
  expect(reply.json.data).toBeUndefined();
  const hit = reply.json.errors.find((e: any) => e.extensions?.limit === limit);
  expect(hit).toBeDefined();
  if (typeof message === 'string') expect(hit.message).toBe(message);
  else expect(hit.message).toMatch(message);
  expect(typeof hit.extensions.allowed).toBe('number');
  for (const error of reply.json.errors) {
    expect(error.extensions.limit).toMatch(/^limits\./);
    expect(error.extensions.stacktrace).toBeUndefined();
  }
}

async function expectStillAnswering(): Promise<void> {
  const reply = await post('query($id: ID!) { library(id: $id) { name faceCount } }', { id: lib.id });
  expect(reply.status).toBe(200);
  expect(reply.json).toEqual({ data: { library: { name: 'limits', faceCount: faces.length } } });
}

/** library -> faces(first: N) -> node -> library, `levels` times: each level multiplies the answer by N. */
function nestedLibraries(levels: number, first: string): string {
  let inner = 'id';
  for (let i = 0; i < levels; i++) inner = `library { faces(first: ${first}) { edges { node { ${inner} } } } }`;
  return inner;
}

describe('query depth and cost', () => {
  test('library -> faces(first: 100) -> node -> library four deep is refused; the server still answers', async () => {
    const query = `query($id: ID!) { face(id: $id) { ${nestedLibraries(4, '100')} } }`;
    const reply = await post(query, { id: faces[0].id });
    expectRefused(reply, 'limits.maxDepth', `The operation is 18 levels deep; ${atMost(12, 'maxDepth')}`);
    expectRefused(reply, 'limits.maxCost', /^The operation's estimated cost is \d+; at most 100000 is allowed/);
    await expectStillAnswering();
  });

  test('three deep is refused as well', async () => {
    const reply = await post(`query($id: ID!) { face(id: $id) { ${nestedLibraries(3, '100')} } }`, { id: faces[0].id });
    expectRefused(reply, 'limits.maxDepth', `The operation is 14 levels deep; ${atMost(12, 'maxDepth')}`);
    await expectStillAnswering();
  });

  // 100 libraries x 100 faces x the 100 faces of each face's library: 11 levels, within maxDepth, a million faces.
  const twoDeepUnder = (first: string) => `{ libraries(first: ${first}) { edges { node {
    faces(first: ${first}) { edges { node { ${nestedLibraries(1, first)} } } } } } } }`;

  test('two deep under 100 libraries is within the depth limit but over the cost limit', async () => {
    const reply = await post(twoDeepUnder('100'));
    expectRefused(reply, 'limits.maxCost', `The operation's estimated cost is 4040300; ${atMost(100000, 'maxCost')}`);
    await expectStillAnswering();
  });

  test('page sizes given as variables count like literal ones', async () => {
    const query = `query($n: Int) ${twoDeepUnder('$n')}`;
    const reply = await post(query, { n: 100 });
    expectRefused(reply, 'limits.maxCost', `The operation's estimated cost is 4040300; ${atMost(100000, 'maxCost')}`);
    expect(reply.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    // The same document with small pages runs: the limit is on the answer, not on the shape.
    const small = await post(query, { n: 2 });
    expect(small.status).toBe(200);
    expect(small.json.errors).toBeUndefined();
  });

  test('a fragment does not hide depth', async () => {
    const query = `query($id: ID!) { face(id: $id) { ...Deep } }
      fragment Deep on Face { ${nestedLibraries(4, '1')} }`;
    const reply = await post(query, { id: faces[0].id });
    expectRefused(reply, 'limits.maxDepth', `The operation is 18 levels deep; ${atMost(12, 'maxDepth')}`);
  });
});

describe('aliases, tokens and directives', () => {
  test('31 aliases are refused', async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `p${i}: providers { id }`).join(' ');
    const reply = await post(`{ ${aliases} }`);
    expectRefused(reply, 'limits.maxAliases', `The operation has 31 aliases; ${atMost(30, 'maxAliases')}`);
  });

  test('thousands of aliases are refused while parsing, on the token limit', async () => {
    const aliases = Array.from({ length: 5000 }, (_, i) => `p${i}: providers { id }`).join(' ');
    const reply = await post(`{ ${aliases} }`);
    expectRefused(reply, 'limits.maxTokens', `The operation has more than 2000 tokens; ${atMost(2000, 'maxTokens')}`);
    expect(reply.json.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    await expectStillAnswering();
  });

  test('51 directives are refused', async () => {
    // The same field 51 times, once per directive: @include may appear only once per field.
    const fields = Array.from({ length: 51 }, () => 'id @include(if: true)').join(' ');
    expectRefused(
      await post(`{ providers { ${fields} } }`),
      'limits.maxDirectives',
      'The operation has 51 directives; at most 50 are allowed (limits.maxDirectives)',
    );
  });
});

describe('expensive fields', () => {
  const searches = (n: number, image: string) =>
    Array.from({ length: n }, (_, i) => `s${i}: searchFaces(libraryId: $lib, image: ${image}) { __typename }`).join(
      ' ',
    );

  test('100 aliased searchFaces sharing one image variable are refused without running the engine', async () => {
    const reply = await post(`query($lib: ID!, $image: ImageInput!) { ${searches(100, '$image')} }`, {
      lib: lib.id,
      image: { base64: photo.toString('base64') },
    });
    expectRefused(reply, 'limits.maxAliases', `The operation has 100 aliases; ${atMost(30, 'maxAliases')}`);
    await expectStillAnswering();
  });

  test('300 aliases sharing one 7.3 MB image variable are refused', async () => {
    const big = Buffer.alloc(Math.floor(7.3 * 1024 * 1024 * 0.75), 0x41).toString('base64');
    const reply = await post(`query($lib: ID!, $image: ImageInput!) { ${searches(300, '$image')} }`, {
      lib: lib.id,
      image: { base64: big },
    });
    expect(reply.status).toBe(400);
    expect(reply.json.data).toBeUndefined();
    expect(reply.json.errors.map((e: any) => e.extensions.limit)).toEqual(['limits.maxTokens']);
    await expectStillAnswering();
    // The image is in the request body only: no log line carries it.
    expect(logLines.join('').includes(big.slice(0, 1000))).toBe(false);
  });

  test('six searchFaces in one request are refused, naming the count and the limit', async () => {
    const reply = await post(`query($lib: ID!, $image: ImageInput!) { ${searches(6, '$image')} }`, {
      lib: lib.id,
      image: { base64: photo.toString('base64') },
    });
    expectRefused(
      reply,
      'limits.expensiveFieldsPerRequest',
      'The operation has 6 searchFaces fields; at most 5 are allowed per request (limits.expensiveFieldsPerRequest)',
    );
    expect(reply.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  test('a refused mutation registers nothing, and the same field twice under one key counts once', async () => {
    const register = (key: string) =>
      `${key}: registerFace(input: { libraryId: $lib, image: $image, fields: { dept: "x" } }) { __typename }`;
    const reply = await post(
      `mutation($lib: ID!, $image: ImageInput!) { ${['a', 'b', 'c'].map(register).join(' ')} ...More }
       fragment More on Mutation { ${['d', 'e', 'f', 'a'].map(register).join(' ')} }`,
      { lib: lib.id, image: { base64: photo.toString('base64') } },
    );
    expectRefused(
      reply,
      'limits.expensiveFieldsPerRequest',
      'The operation has 6 registerFace fields; at most 5 are allowed per request (limits.expensiveFieldsPerRequest)',
    );
    await expectStillAnswering();
  });

  test('200 aliased searchFaces with image.url download nothing', async () => {
    const before = imageRequests;
    const reply = await post(`query($lib: ID!) { ${searches(200, `{ url: "${imageUrl}" }`)} }`, { lib: lib.id });
    expect(reply.status).toBe(400);
    expect(reply.json.data).toBeUndefined();
    expect(imageRequests).toBe(before);
    await expectStillAnswering();
  });

  test('image URL fetches are capped per request, and a request within the cap fetches each once', async () => {
    const before = imageRequests;
    const urls = searches(IMAGE_URL_FETCHES + 1, `{ url: "${imageUrl}" }`);
    const over = await post(`query($lib: ID!) { ${urls} }`, { lib: lib.id });
    expectRefused(
      over,
      'limits.imageUrlFetchesPerRequest',
      `The operation has 3 image URLs to fetch; ${atMost(IMAGE_URL_FETCHES, 'imageUrlFetchesPerRequest', true)}`,
    );
    expect(imageRequests).toBe(before);

    const within = await post(`query($lib: ID!, $image: ImageInput!) { ${searches(IMAGE_URL_FETCHES, '$image')} }`, {
      lib: lib.id,
      image: { url: imageUrl },
    });
    expect(within.status).toBe(200);
    expect(within.json.errors).toBeUndefined();
    expect(Object.values(within.json.data)).toEqual(
      Array.from({ length: IMAGE_URL_FETCHES }, () => ({ __typename: 'SearchFacesSuccess' })),
    );
    expect(imageRequests).toBe(before + IMAGE_URL_FETCHES);
  }, 60_000);
});

describe('long string inputs', () => {
  const filtered = (n: number) =>
    Array.from({ length: n }, (_, i) => `f${i}: faces(filter: { fields: { dept: $v } }) { totalCount }`).join(' ');

  test('400 aliased faces filters with a 6 MiB value are refused', async () => {
    const reply = await post(`query($id: ID!, $v: JSON) { library(id: $id) { ${filtered(400)} } }`, {
      id: lib.id,
      v: 'x'.repeat(6 * 1024 * 1024),
    });
    expect(reply.status).toBe(400);
    expect(reply.json.data).toBeUndefined();
    await expectStillAnswering();
  });

  test('a 6 MiB field value under the alias limit is refused for its length', async () => {
    const reply = await post(`query($id: ID!, $v: JSON) { library(id: $id) { ${filtered(30)} } }`, {
      id: lib.id,
      v: 'x'.repeat(6 * 1024 * 1024),
    });
    // faces is non-null: the first error nulls the library, so how many of the 30 are reported varies.
    expect(reply.json.errors.length).toBeGreaterThan(0);
    for (const error of reply.json.errors) expect(error.message).toMatch(/a STRING of 1-256 characters/);
    await expectStillAnswering();
  });
});

describe('what must still pass', () => {
  test('a router _entities batch of 100 representations of Face, Person and Library', async () => {
    const missing = [
      { __typename: 'Face', id: faceId('local', 'limits', 'no-such-face') },
      { __typename: 'Library', id: libraryId('local', 'nobody') },
    ];
    const kinds = [
      { __typename: 'Library', id: lib.id },
      { __typename: 'Person', id: person.id },
      ...faces.map((f) => ({ __typename: 'Face', id: f.id })),
      ...missing,
    ];
    const representations = Array.from({ length: 100 }, (_, i) => kinds[i % kinds.length]);
    const reply = await post(
      `query ($representations: [_Any!]!) {
        _entities(representations: $representations) {
          __typename
          ... on Library { id libraryName: name faceCount }
          ... on Person { id personName: name externalId }
          ... on Face { id vendorFaceId fields library { name } person { name } }
        }
      }`,
      { representations },
    );
    expect(reply.status).toBe(200);
    expect(reply.json.errors).toBeUndefined();
    const entities = reply.json.data._entities;
    expect(entities).toHaveLength(100);
    expect(entities[0]).toEqual({ __typename: 'Library', id: lib.id, libraryName: 'limits', faceCount: faces.length });
    expect(entities[1]).toMatchObject({ __typename: 'Person', id: person.id, personName: 'Ada' });
    expect(entities[2]).toMatchObject({
      __typename: 'Face',
      id: faces[0].id,
      library: { name: 'limits' },
      person: { name: 'Ada' },
    });
    const expectedNulls = representations.filter((r) => missing.includes(r)).length;
    expect(entities.filter((e: unknown) => e === null)).toHaveLength(expectedNulls);
  });

  test('five searchFaces in one request run', async () => {
    const reply = await post(
      `query($lib: ID!, $image: ImageInput!) { ${Array.from(
        { length: 5 },
        (_, i) => `s${i}: searchFaces(libraryId: $lib, image: $image) { __typename }`,
      ).join(' ')} }`,
      {
        lib: lib.id,
        image: { base64: photo.toString('base64') },
      },
    );
    expect(reply.status).toBe(200);
    expect(reply.json.errors).toBeUndefined();
    expect(Object.keys(reply.json.data)).toHaveLength(5);
  }, 60_000);
});
