import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildFacegraphSchema } from '../src/resolvers';
import { subgraphSdl } from '../src/schema/subgraph-sdl';

// Writes the subgraph SDL to schema.graphql at the repository root (the golden file tests compare with).
async function main(): Promise<void> {
  const target = path.resolve(__dirname, '..', '..', 'schema.graphql');
  writeFileSync(target, subgraphSdl(await buildFacegraphSchema()));
  process.stdout.write(`wrote ${target}\n`);
}

void main();
