import {
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

// Which root fields an operation asks for: metrics label requests with them, and the response cache keeps them
// with an answer so that a request answered from it is counted as the same fields.

export interface RootField {
  responseKey: string;
  name: string;
}

/** The operation's root fields that exist in the schema, through fragments, with their response keys. */
export function rootFieldsOf(
  operation: OperationDefinitionNode,
  document: DocumentNode,
  schema: GraphQLSchema,
): RootField[] {
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return [];
  const known = rootType.getFields();
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const fields: RootField[] = [];
  const seenKeys = new Set<string>();
  const visited = new Set<string>();
  const walk = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const responseKey = selection.alias?.value ?? name;
        if ((name in known || name === '__typename') && !seenKeys.has(responseKey)) {
          seenKeys.add(responseKey);
          fields.push({ responseKey, name });
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !visited.has(fragment.name.value)) {
          visited.add(fragment.name.value);
          walk(fragment.selectionSet);
        }
      }
    }
  };
  walk(operation.selectionSet);
  return fields;
}
