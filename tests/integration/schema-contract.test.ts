import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildASTSchema, parse, isObjectType, isInterfaceType, isInputObjectType, isUnionType, isEnumType, type GraphQLNamedType, type GraphQLSchema } from 'graphql';
import { referenceResolvers, resolvers } from '../../src/resolvers';
import { buildSubgraph } from '../../src/schema/build-subgraph';

// The contract's names are the product's API: every type, field, argument, enum value and union
// member it declares must exist in the served schema with the same type.
const contractPath = path.resolve(__dirname, '../../../shared/schema-contract.graphql');
const contractSdl = readFileSync(contractPath, 'utf8').replace(/@key\(fields: "id"\)|@shareable/g, '');
const contract = buildASTSchema(parse(contractSdl), { assumeValidSDL: true });

let served: GraphQLSchema;
beforeAll(async () => {
  served = await buildSubgraph([...resolvers], referenceResolvers);
});

const namedTypes = () => Object.values(contract.getTypeMap()).filter((t) => !t.name.startsWith('__') && !['String', 'Int', 'Float', 'Boolean', 'ID'].includes(t.name));

test('every type of the contract is served with the same kind', () => {
  for (const type of namedTypes()) {
    const ours = served.getType(type.name);
    expect({ type: type.name, kind: ours?.constructor.name }).toEqual({ type: type.name, kind: type.constructor.name });
  }
});

test('every field and argument of the contract is served with the same type', () => {
  const problems: string[] = [];
  for (const type of namedTypes()) {
    const ours = served.getType(type.name) as GraphQLNamedType;
    if ((isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) && ours && 'getFields' in ours) {
      const ourFields = (ours as any).getFields();
      for (const field of Object.values(type.getFields()) as any[]) {
        const mine = ourFields[field.name];
        if (!mine) problems.push(`${type.name}.${field.name} is missing`);
        else if (String(mine.type) !== String(field.type)) problems.push(`${type.name}.${field.name} is ${mine.type}, contract says ${field.type}`);
        for (const arg of field.args ?? []) {
          const myArg = mine?.args?.find((a: any) => a.name === arg.name);
          if (!myArg) problems.push(`${type.name}.${field.name}(${arg.name}) is missing`);
          else if (String(myArg.type) !== String(arg.type)) problems.push(`${type.name}.${field.name}(${arg.name}) is ${myArg.type}, contract says ${arg.type}`);
          else if (JSON.stringify(myArg.defaultValue) !== JSON.stringify(arg.defaultValue)) problems.push(`${type.name}.${field.name}(${arg.name}) defaults to ${myArg.defaultValue}, contract says ${arg.defaultValue}`);
        }
      }
      if (isObjectType(type)) {
        const ifaces = (ours as any).getInterfaces().map((i: any) => i.name);
        for (const i of type.getInterfaces()) if (!ifaces.includes(i.name)) problems.push(`${type.name} does not implement ${i.name}`);
      }
    }
    if (isUnionType(type) && isUnionType(ours)) {
      const members = ours.getTypes().map((t) => t.name);
      for (const t of type.getTypes()) if (!members.includes(t.name)) problems.push(`union ${type.name} lacks ${t.name}`);
    }
    if (isEnumType(type) && isEnumType(ours)) {
      const values = ours.getValues().map((v) => v.name);
      for (const v of type.getValues()) if (!values.includes(v.name)) problems.push(`enum ${type.name} lacks ${v.name}`);
    }
  }
  expect(problems).toEqual([]);
});
