// The computed read in-process, without HTTP: main-thread CPU per request of Apollo's executeHTTPGraphQLRequest on
// facegraph (`cache-control: no-cache`, every answer computed: ledger, loaders, resolvers, every plugin) against a
// bare @apollo/server with the baseline's schema answering the same JSON from memory, alternating five rounds and
// keeping each side's best. CPU time of the main thread (from /proc, Linux) moves far less than req/s when the
// machine is shared; it leaves out Express and node:http, which the read case of `npm run bench` includes.
//
//   npm run build && node bench/pipeline-cpu.mjs          # BENCH_PIPELINE_N=1000 requests per side and round
//
// Prints { facegraphUs, bareUs, ratio } (ratio = bare / facegraph: the throughput ratio if nothing else cost).

import fs from 'node:fs';
import { READ_QUERY } from './cases/read.mjs';
import { BASELINE_TYPE_DEFS, baselineResolvers } from './lib/baseline-schema.mjs';
import { createLedgerFile, DEPARTMENTS, openForSeeding, seedLibrary } from './lib/seed.mjs';
import { dist, requireFromRoot, round, tempDir } from './lib/util.mjs';

requireFromRoot('reflect-metadata');
const { ApolloServer, HeaderMap } = requireFromRoot('@apollo/server');
const N = Number(process.env.BENCH_PIPELINE_N ?? 1000);

const dataDir = tempDir('pipeline');
const file = await createLedgerFile(dataDir);
const seeding = openForSeeding(file);
seedLibrary(seeding.db, {
  name: 'read10k',
  fieldSchema: [
    { name: 'dept', type: 'STRING' },
    { name: 'level', type: 'INTEGER' },
  ],
  faces: 10_000,
  persons: 1_000,
  fieldsOf: (i) => ({ dept: DEPARTMENTS[i % DEPARTMENTS.length], level: i % 10 }),
});
seeding.done();

const { createFacegraphApp } = dist('src/server/app.js');
const { loadConfig } = dist('src/server/config/index.js');
const { createLogger } = dist('src/server/logger.js');
const { createRequestContext } = dist('src/resolvers/index.js');
const { libraryId } = dist('src/domain/global-id.js');
const config = loadConfig({ FACEGRAPH_DATA_DIR: dataDir, LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0' }, dataDir);
config.providers = [{ id: 'local', kind: 'LOCAL' }];
config.faceEngine = { workers: 1 };
// The per-operation line is written and dropped, as the read case's /dev/null does.
const logger = createLogger('info', { write() {} });
const facegraph = await createFacegraphApp(config, logger);
const id = libraryId('local', 'read10k');

const request = (headers) => ({
  method: 'POST',
  headers: new HeaderMap(Object.entries({ 'content-type': 'application/json', ...headers })),
  search: '',
  body: { query: READ_QUERY, variables: { id }, operationName: 'Read' },
});
const text = async (response) => {
  if (response.body.kind === 'complete') return response.body.string;
  let out = '';
  for await (const chunk of response.body.asyncIterator) out += chunk;
  return out;
};
const facegraphRead = async () =>
  text(
    await facegraph.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: request({ 'cache-control': 'no-cache' }),
      context: async () => createRequestContext(facegraph.services, logger),
    }),
  );
const reference = await facegraphRead();
const library = JSON.parse(reference).data.library;

// The same schema and resolvers as lib/baseline-child.mjs (lib/baseline-schema.mjs).
const bare = new ApolloServer({ typeDefs: BASELINE_TYPE_DEFS, resolvers: baselineResolvers(id, library) });
await bare.start();
const bareRead = async () =>
  text(await bare.executeHTTPGraphQLRequest({ httpGraphQLRequest: request({}), context: async () => ({}) }));
if ((await bareRead()) !== reference) throw new Error('the bare server answers differently');

/** CPU time of this process's main thread in microseconds (utime + stime in clock ticks of 10 ms). */
const mainThreadCpuUs = () => {
  const fields = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
};
const best = { facegraph: Infinity, bare: Infinity };
const measure = async (side, read) => {
  for (let i = 0; i < 100; i++) await read();
  const started = mainThreadCpuUs();
  for (let i = 0; i < N; i++) await read();
  best[side] = Math.min(best[side], (mainThreadCpuUs() - started) / N);
};
for (let i = 0; i < 5; i++) {
  await measure('facegraph', facegraphRead);
  await measure('bare', bareRead);
}
console.log(
  JSON.stringify({
    requestsPerRound: N,
    facegraphUs: round(best.facegraph, 0),
    bareUs: round(best.bare, 0),
    ratio: round(best.bare / best.facegraph, 3),
  }),
);

await bare.stop();
await facegraph.close();
fs.rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
