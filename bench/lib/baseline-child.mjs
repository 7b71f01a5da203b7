// The read case's baseline: a bare @apollo/server 5 (startStandaloneServer, default plugins) with an
// SDL-first schema of the same shape as facegraph's, answering the read query with the same JSON from
// memory. BENCH_BASELINE (JSON): { libraryId, library } where library is facegraph's own answer.

import { BASELINE_TYPE_DEFS, baselineResolvers } from './baseline-schema.mjs';
import { requireFromRoot, serveIpc } from './util.mjs';

const { ApolloServer } = requireFromRoot('@apollo/server');
const { startStandaloneServer } = requireFromRoot('@apollo/server/standalone');
const { libraryId, library } = JSON.parse(process.env.BENCH_BASELINE);

const apollo = new ApolloServer({ typeDefs: BASELINE_TYPE_DEFS, resolvers: baselineResolvers(libraryId, library) });
const { url } = await startStandaloneServer(apollo, { listen: { port: 0, host: '127.0.0.1' } });

serveIpc(
  {
    stats: () => ({ rss: process.memoryUsage().rss }),
    gc: () => {
      globalThis.gc?.();
      return process.memoryUsage().rss;
    },
  },
  () => apollo.stop(),
);
process.send({ type: 'ready', url });
