import { graphql, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import {
  Arg,
  Authorized,
  buildSchema,
  createResolversMap,
  Ctx,
  Field,
  FieldResolver,
  Info,
  ObjectType,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { callPlainFieldResolversDirectly } from '../../src/schema/direct-field-resolvers';

// Field resolvers called without type-graphql's per-call handler must answer exactly as through it, and those
// that need the handler (roles, arguments) must keep it: a direct call would skip the role check.

@ObjectType()
class Thing {
  @Field()
  name!: string;
}

/** What the resolvers get as the root: a plain record (an interface, as the ledger's records), not the class. */
interface ThingRecord {
  name: string;
}

let instancesMade = 0;

@Resolver(() => Thing)
class ThingResolver {
  private readonly prefix = 'p';

  constructor() {
    instancesMade++;
  }

  @Query(() => Thing)
  thing(): Thing {
    return { name: 'a' };
  }

  @FieldResolver(() => String)
  label(@Root() thing: ThingRecord, @Ctx() ctx: { suffix: string }): string {
    return `${this.prefix}:${thing.name}-${ctx.suffix}`;
  }

  @FieldResolver(() => String)
  named(@Info() info: { fieldName: string }, @Root() thing: ThingRecord, @Ctx('suffix') suffix: string): string {
    return `${info.fieldName}:${thing.name}:${suffix}`;
  }

  @Authorized('admin')
  @FieldResolver(() => String, { nullable: true })
  secret(@Root() thing: ThingRecord): string {
    return `secret of ${thing.name}`;
  }

  // A root typed with a class: type-graphql converts it to an instance first, so its handler stays.
  @FieldResolver(() => Boolean)
  converted(@Root() thing: Thing): boolean {
    return thing instanceof Thing;
  }

  @FieldResolver(() => String)
  repeated(@Root() thing: ThingRecord, @Arg('times') times: number): string {
    return thing.name.repeat(times);
  }
}

async function build(
  direct: boolean,
): Promise<{ schema: GraphQLSchema; map: Record<string, Record<string, unknown>> }> {
  const schema = await buildSchema({ resolvers: [ThingResolver], authChecker: () => false, validate: false });
  const map = createResolversMap(schema) as Record<string, Record<string, unknown>>;
  if (direct) {
    callPlainFieldResolversDirectly(map);
    const fields = (schema.getType('Thing') as GraphQLObjectType).getFields();
    for (const [name, resolve] of Object.entries(map.Thing!)) fields[name]!.resolve = resolve as never;
  }
  return { schema, map };
}

const QUERY = '{ thing { name label named repeated(times: 2) converted secret } }';

describe('callPlainFieldResolversDirectly', () => {
  it('answers as type-graphql does, role checks included', async () => {
    const viaHandler = await build(false);
    const direct = await build(true);
    const run = (schema: GraphQLSchema) => graphql({ schema, source: QUERY, contextValue: { suffix: 's' } });
    const expected = await run(viaHandler.schema);
    const got = await run(direct.schema);
    expect(got).toEqual(expected);
    expect(got.data).toEqual({
      thing: { name: 'a', label: 'p:a-s', named: 'named:a:s', repeated: 'aa', converted: true, secret: null },
    });
    expect(got.errors?.map((e) => e.path)).toEqual([['thing', 'secret']]);
  });

  it('replaces only the resolvers with @Root/@Ctx/@Info parameters and no roles, on one instance', async () => {
    const before = createResolversMap(
      await buildSchema({ resolvers: [ThingResolver], authChecker: () => false, validate: false }),
    );
    const { map } = await build(true);
    const original = before as Record<string, Record<string, Function>>;
    expect(map.Thing!.label!.toString()).not.toEqual(original.Thing!.label!.toString());
    expect(map.Thing!.named!.toString()).not.toEqual(original.Thing!.named!.toString());
    expect(map.Thing!.secret!.toString()).toEqual(original.Thing!.secret!.toString());
    expect(map.Thing!.repeated!.toString()).toEqual(original.Thing!.repeated!.toString());
    expect(map.Thing!.converted!.toString()).toEqual(original.Thing!.converted!.toString());
    const made = instancesMade;
    const label = map.Thing!.label as (r: unknown, a: unknown, c: unknown, i: unknown) => string;
    for (let i = 0; i < 3; i++) expect(label({ name: 'b' }, {}, { suffix: String(i) }, {})).toBe(`p:b-${i}`);
    expect(instancesMade - made).toBeLessThanOrEqual(1);
  });
});
