// The read case's baseline schema: SDL-first, the same shape as facegraph's for the read query, answering with
// facegraph's own answer (`library`) held in memory. Used by the bare Apollo child (baseline-child.mjs) and by the
// in-process comparison (pipeline-cpu.mjs), so both measure the same baseline.

import { requireFromRoot } from './util.mjs';

const { GraphQLScalarType } = requireFromRoot('graphql');

export const BASELINE_TYPE_DEFS = `#graphql
  scalar JSON
  type Query { library(id: ID!): Library }
  type Library { id: ID! name: String! faces(first: Int = 20, after: String): FaceConnection! }
  type FaceConnection { edges: [FaceEdge!]! totalCount: Int! }
  type FaceEdge { cursor: String! node: Face! }
  type Face { id: ID! vendorFaceId: String! externalImageId: String fields: JSON! person: Person }
  type Person { id: ID! name: String }
`;

/** Resolvers answering `library(id: libraryId)` with `library` (facegraph's answer to the read query). */
export function baselineResolvers(libraryId, library) {
  return {
    JSON: new GraphQLScalarType({ name: 'JSON', serialize: (v) => v, parseValue: (v) => v }),
    Query: { library: (_root, { id }) => (id === libraryId ? library : null) },
    Library: {
      faces: (lib, { first }) => ({ edges: lib.faces.edges.slice(0, first), totalCount: lib.faces.edges.length }),
    },
  };
}
