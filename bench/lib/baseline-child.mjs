// The read case's baseline: a bare @apollo/server 5 (startStandaloneServer, default plugins) with an
// SDL-first schema of the same shape as facegraph's, answering the read query with the same JSON from
// memory. BENCH_BASELINE (JSON): { libraryId, library } where library is facegraph's own answer.

import { requireFromRoot, serveIpc } from './util.mjs';

const { ApolloServer } = requireFromRoot('@apollo/server');
const { startStandaloneServer } = requireFromRoot('@apollo/server/standalone');
const { GraphQLScalarType } = requireFromRoot('graphql');

const { libraryId, library } = JSON.parse(process.env.BENCH_BASELINE);

const typeDefs = `#graphql
  scalar JSON
  type Query { library(id: ID!): Library }
  type Library { id: ID! name: String! faces(first: Int = 20, after: String): FaceConnection! }
  type FaceConnection { edges: [FaceEdge!]! totalCount: Int! }
  type FaceEdge { cursor: String! node: Face! }
  type Face { id: ID! vendorFaceId: String! externalImageId: String fields: JSON! person: Person }
  type Person { id: ID! name: String }
`;

const resolvers = {
  JSON: new GraphQLScalarType({ name: 'JSON', serialize: (v) => v, parseValue: (v) => v }),
  Query: { library: (_root, { id }) => (id === libraryId ? library : null) },
  Library: { faces: (lib, { first }) => ({ edges: lib.faces.edges.slice(0, first), totalCount: lib.faces.edges.length }) },
};

const apollo = new ApolloServer({ typeDefs, resolvers });
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
