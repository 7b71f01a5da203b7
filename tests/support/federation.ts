import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

/**
 * A second subgraph shaped like a typical member of a supergraph: the Relay spec's own PageInfo (@shareable),
 * a Node interface, a field added to facegraph's Person entity, and audits that reference facegraph's Faces.
 */
export const auditsTypeDefs = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
interface Node { id: ID! }
type PageInfo @shareable { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
type Face @key(fields: "id") { id: ID! audits: [Audit!]! }
type Person implements Node @key(fields: "id") { id: ID! signedAudits: [Audit!]! }
type Audit implements Node { id: ID! verdict: String! face: Face! signedBy: Person }
type AuditEdge { cursor: String! node: Audit! }
type AuditConnection { edges: [AuditEdge!]! pageInfo: PageInfo! }
type Query { audits: [Audit!]! auditPage(first: Int = 20, after: String): AuditConnection! }
`;

export interface AuditRow {
  id: string;
  verdict: string;
  faceId: string;
  /** The global id of the facegraph Person who signed the audit. */
  signedBy?: string;
}

export interface AuditsSubgraph {
  url: string;
  stop(): Promise<void>;
}

/** Serves the audits subgraph for real over HTTP on 127.0.0.1. */
export async function startAuditsSubgraph(rows: AuditRow[]): Promise<AuditsSubgraph> {
  const resolvers = {
    Query: {
      audits: () => rows,
      auditPage: (_: unknown, args: { first: number; after?: string | null }) =>
        auditPage(rows, args.first, args.after),
    },
    Audit: {
      face: (audit: AuditRow) => ({ __typename: 'Face', id: audit.faceId }),
      signedBy: (audit: AuditRow) => (audit.signedBy ? { __typename: 'Person', id: audit.signedBy } : null),
    },
    Face: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      audits: (face: { id: string }) => rows.filter((row) => row.faceId === face.id),
    },
    Person: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      signedAudits: (person: { id: string }) => rows.filter((row) => row.signedBy === person.id),
    },
  };
  const server = new ApolloServer({ schema: buildSubgraphSchema({ typeDefs: parse(auditsTypeDefs), resolvers }) });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return { url, stop: () => server.stop() };
}

// Cursors are the audit ids: enough for a subgraph that only has to speak Relay paging.
function auditPage(rows: AuditRow[], first: number, after?: string | null) {
  const start = after ? rows.findIndex((row) => row.id === after) + 1 : 0;
  const page = rows.slice(start, start + first);
  return {
    edges: page.map((row) => ({ cursor: row.id, node: row })),
    pageInfo: {
      hasNextPage: start + first < rows.length,
      hasPreviousPage: start > 0,
      startCursor: page[0]?.id ?? null,
      endCursor: page[page.length - 1]?.id ?? null,
    },
  };
}
