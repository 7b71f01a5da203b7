import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

/** Sends a codegen document over HTTP and fails loudly on GraphQL errors. */
/** A second subgraph that extends facegraph's Face entity with audits. */
export const auditsTypeDefs = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
type Face @key(fields: "id") { id: ID! audits: [Audit!]! }
type Audit { id: ID! verdict: String! face: Face! }
type Query { audits: [Audit!]! }
`;

export interface AuditRow {
  id: string;
  verdict: string;
  faceId: string;
}

export interface AuditsSubgraph {
  url: string;
  stop(): Promise<void>;
}

/** Serves the audits subgraph for real over HTTP on 127.0.0.1. */
export async function startAuditsSubgraph(rows: AuditRow[]): Promise<AuditsSubgraph> {
  const resolvers = {
    Query: { audits: () => rows },
    Audit: { face: (audit: AuditRow) => ({ __typename: 'Face', id: audit.faceId }) },
    Face: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      audits: (face: { id: string }) => rows.filter((row) => row.faceId === face.id),
    },
  };
  const server = new ApolloServer({ schema: buildSubgraphSchema({ typeDefs: parse(auditsTypeDefs), resolvers }) });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return { url, stop: () => server.stop() };
}
