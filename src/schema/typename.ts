/**
 * The resolveType of every union and interface of the schema: their values are plain objects that carry their
 * __typename. buildSubgraph recognises this function and resolves those types with it directly (see there).
 */
export const resolveByTypename = (value: { __typename?: string }): string | undefined => value.__typename;
