import { CreateLibraryDocument, RegisterFaceDocument } from '../generated/graphql';
import { facePhoto } from '../support/images';
import { execute, gql, startTestServer, type TestServer } from '../support/test-server';

const logLines: string[] = [];
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ logTo: { write: (line: string) => void logLines.push(line) } });
});
afterAll(async () => server?.close());

test('/healthz says alive and /readyz says ready once the ledger is migrated and the face engine warm', async () => {
  const health = await fetch(`${server.origin}/healthz`);
  expect({ status: health.status, body: await health.json() }).toEqual({ status: 200, body: { status: 'ok' } });
  const ready = await fetch(`${server.origin}/readyz`);
  expect({ status: ready.status, body: await ready.json() }).toEqual({
    status: 200,
    body: { status: 'ready', ledger: 'ok', providers: 'ok' },
  });
});

test('/readyz answers 503 once the ledger is closed', async () => {
  const other = await startTestServer();
  await other.facegraph.ledger.close();
  const ready = await fetch(`${other.origin}/readyz`);
  expect(ready.status).toBe(503);
  await other.close().catch(() => undefined);
});

test('logs record operations but never the image bytes or other variables', async () => {
  const image = (await facePhoto('A')).toString('base64');
  const { createLibrary } = await execute(server.url, CreateLibraryDocument, {
    input: { providerId: 'local', name: 'logged' },
  });
  const libraryId = (createLibrary as { library: { id: string } }).library.id;
  await execute(server.url, RegisterFaceDocument, {
    input: { libraryId, image: { base64: image }, userData: 'secret-user-data' },
  });
  await execute(server.url, RegisterFaceDocument, {
    input: { libraryId, image: { base64: `${image.slice(0, 40)}!!` } },
  });

  const operations = logLines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'graphql operation');
  expect(operations.map((l) => l.operationName)).toEqual(expect.arrayContaining(['CreateLibrary', 'RegisterFace']));
  const all = logLines.join('\n');
  expect(all).not.toContain(image.slice(0, 40));
  expect(all).not.toContain('secret-user-data');
});

test('a syntax error is a GraphQL error without a stack trace', async () => {
  const response = await gql(server.url, '{ providers { id ');
  expect(response.errors?.[0].extensions).toMatchObject({ code: 'GRAPHQL_PARSE_FAILED' });
  expect(JSON.stringify(response)).not.toMatch(/stacktrace/);
});
