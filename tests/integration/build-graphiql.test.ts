import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { resolveGraphiqlDist } from '../../src/server/graphiql';

// `npm start` runs the GraphiQL build every time: with the same inputs it must leave the bundle as it is
// and take no time, so that starting is fast when nothing changed.

const SCRIPT = path.resolve(__dirname, '../../scripts/build-graphiql.mjs');
const build = () => execFileSync(process.execPath, [SCRIPT], { encoding: 'utf8' });

test('a second build with unchanged inputs does nothing', () => {
  build();
  const dist = resolveGraphiqlDist();
  const before = fs.readdirSync(path.join(dist, 'assets')).sort();
  const indexTime = fs.statSync(path.join(dist, 'index.html')).mtimeMs;

  const started = performance.now();
  const output = build();
  const ms = performance.now() - started;

  expect(output).toMatch(/GraphiQL bundle is up to date/);
  expect(fs.readdirSync(path.join(dist, 'assets')).sort()).toEqual(before);
  expect(fs.statSync(path.join(dist, 'index.html')).mtimeMs).toBe(indexTime);
  // A build takes seconds; the check reads a few files (generous for a loaded machine).
  expect(ms).toBeLessThan(3000);
}, 120_000);

test('an asset of the page deleted by hand is built again', () => {
  build();
  const dist = resolveGraphiqlDist();
  const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
  const stylesheet = /\/graphiql\/assets\/(main-[\w-]+\.css)/.exec(html)?.[1];
  expect(stylesheet).toBeDefined();
  fs.rmSync(path.join(dist, 'assets', stylesheet!));

  expect(build()).not.toMatch(/up to date/);
  const rebuilt = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
  const named = [...rebuilt.matchAll(/\/graphiql\/assets\/([\w.-]+)/g)].map((m) => m[1]);
  expect(named.filter((name) => !fs.existsSync(path.join(dist, 'assets', name)))).toEqual([]);
}, 120_000);
