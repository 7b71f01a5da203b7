import type { GraphQLResolveInfo } from 'graphql';
import { getMetadataStorage } from 'type-graphql';

type Resolver = (root: unknown, args: unknown, context: unknown, info: GraphQLResolveInfo) => unknown;
type ParamMetadata = { kind: string; index: number; propertyName?: string; getType?: unknown };

/**
 * type-graphql calls a @FieldResolver through a handler that, on every call, builds a resolver-data object, looks
 * the resolver class's instance up in its container (a linear search), runs the (here empty) middleware chain and
 * sorts and maps the method's parameter list. For `Face.id` or `Face.person` on a page of 50 faces that is a fifth
 * of what a computed read allocates (issue 13's heap profile). A field resolver that needs none of it (no roles,
 * no middlewares, parameters only @Root(), @Ctx() and @Info() without a type to convert to) is called directly
 * instead, with its parameters picked in the order worked out once, on one instance per resolver class made here
 * (as type-graphql's default container keeps one; our resolver classes take no constructor arguments). Anything
 * else keeps type-graphql's handler.
 */
export function callPlainFieldResolversDirectly(resolverMap: Record<string, Record<string, unknown>>): void {
  const storage = getMetadataStorage();
  const instances = new Map<Function, Record<string, Function>>();
  const instanceOf = (target: Function) => {
    let instance = instances.get(target);
    if (!instance) instances.set(target, (instance = new (target as new () => Record<string, Function>)()));
    return instance;
  };
  for (const fieldResolver of storage.fieldResolvers) {
    if (fieldResolver.kind !== 'external' || fieldResolver.roles?.length || fieldResolver.middlewares?.length) continue;
    const objectClass = fieldResolver.getObjectType?.();
    const typeName = storage.objectTypes.find((o) => o.target === objectClass)?.name;
    const resolvers = typeName ? resolverMap[typeName] : undefined;
    if (!resolvers || typeof resolvers[fieldResolver.schemaName] !== 'function') continue;
    const pickers = paramPickers((fieldResolver.params ?? []) as ParamMetadata[]);
    if (!pickers) continue;
    const { target, methodName } = fieldResolver;
    resolvers[fieldResolver.schemaName] = directResolver(instanceOf(target), methodName, pickers);
  }
}

type Picker = (root: unknown, context: unknown, info: GraphQLResolveInfo) => unknown;

/** How to get each parameter, in the method's order; null when one needs type-graphql (args, conversion, custom). */
function paramPickers(params: ParamMetadata[]): Picker[] | null {
  const ordered = [...params].sort((a, b) => a.index - b.index);
  if (ordered.some((p, i) => p.index !== i)) return null;
  const pickers: Picker[] = [];
  for (const param of ordered) {
    const property = param.propertyName;
    if (param.kind === 'root' && !param.getType) {
      pickers.push(property ? (root) => (root as Record<string, unknown>)[property] : (root) => root);
    } else if (param.kind === 'context') {
      pickers.push(
        property ? (_root, context) => (context as Record<string, unknown>)[property] : (_r, context) => context,
      );
    } else if (param.kind === 'info') {
      pickers.push((_root, _context, info) => info);
    } else {
      return null;
    }
  }
  return pickers;
}

function directResolver(instance: Record<string, Function>, methodName: string, pickers: Picker[]): Resolver {
  const method = instance[methodName]!;
  // The common shapes without a loop or an array per call.
  if (pickers.length === 1) {
    const [first] = pickers as [Picker];
    return (root, _args, context, info) => method.call(instance, first(root, context, info));
  }
  if (pickers.length === 2) {
    const [first, second] = pickers as [Picker, Picker];
    return (root, _args, context, info) =>
      method.call(instance, first(root, context, info), second(root, context, info));
  }
  return (root, _args, context, info) =>
    method.apply(
      instance,
      pickers.map((pick) => pick(root, context, info)),
    );
}
