// node:http answering facegraph's bytes from memory, for bench/hit-cost.mjs: the floor of what HTTP costs here.
import http from 'node:http';
const body = Buffer.from(process.env.PLAIN_BODY);
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    res.end(body);
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
process.on('message', (m) => {
  if (m?.type === 'close') process.exit(0);
});
const origin = `http://127.0.0.1:${server.address().port}`;
process.send({ type: 'ready', origin, url: `${origin}/graphql` });
