// The floor under facegraph's write overhead: a bare node:http server that turns each POST into the same signed
// PUT .../faces the FRS adapter sends (the same signer, a keep-alive agent) and answers a small JSON once the
// emulator has answered. It is what any gateway between a client and the vendor costs on this machine: one more
// loopback hop, two more HTTP parses and the signing, with no GraphQL, ledger, auth or logging.
// BENCH_RELAY (JSON): { endpoint, projectId, accessKeyId, secretAccessKey, faceSet }.

import http from 'node:http';
import { dist, serveIpc } from './util.mjs';

const { signRequest } = dist('src/datasources/vendors/huawei-frs/signer.js');
const spec = JSON.parse(process.env.BENCH_RELAY);
const putUrl = new URL(`${spec.endpoint}/v2/${spec.projectId}/face-sets/${spec.faceSet}/faces`);
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
const credentials = { accessKeyId: spec.accessKeyId, secretAccessKey: spec.secretAccessKey };

function put(body) {
  const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };
  const signed = signRequest({ method: 'PUT', url: putUrl, headers: { ...headers }, body }, credentials, {
    projectId: spec.projectId,
  });
  return new Promise((resolve, reject) => {
    const req = http.request(putUrl, { method: 'PUT', agent, headers: { ...headers, ...signed } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const { faceId, dept } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const vendor = await put(Buffer.from(JSON.stringify({ face_id: faceId, external_fields: { dept } })));
      const body = Buffer.from(
        JSON.stringify({
          data: {
            updateFace: {
              __typename: vendor.status === 200 ? 'UpdateFaceSuccess' : 'Error',
              face: { id: faceId, fields: { dept } },
            },
          },
        }),
      );
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
      res.end(body);
    } catch (e) {
      res.writeHead(500).end(String(e.message));
    }
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
serveIpc({}, () => {
  server.closeAllConnections();
  return new Promise((r) => server.close(r));
});
process.send({ type: 'ready', url: `http://127.0.0.1:${server.address().port}/` });
