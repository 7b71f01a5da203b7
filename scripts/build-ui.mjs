#!/usr/bin/env node
// Bundles the library browser (src/server/ui/client, React 19 + graphql-ws) from node_modules into
// dist/ui/, served at GET /ui: nothing on the page comes from outside the server.
//
//   dist/ui/index.html                  (references /ui/assets/... only)
//   dist/ui/assets/main-[hash].js|css   (the app and its stylesheet)
//   dist/ui/assets/favicon-[hash].svg
//
// Usage: node scripts/build-ui.mjs [--dev] [--force]
//   --dev: no minification, inline source maps; --force: build even when the inputs are unchanged.
// Like the GraphiQL build, it does nothing when dist/ui/ was built from the same inputs.
// The client is type-checked by `tsc -p src/server/ui/client` (npm run build); esbuild only strips types.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  assertCssIsLocal,
  assertNoRemoteReferences,
  commonBuildOptions,
  inputsDigest,
  isUpToDate,
  noRemoteImports,
  precompress,
  recordInputs,
  reportSizes,
} from './page-bundle.mjs';

const started = performance.now();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = path.join(root, 'src/server/ui');
const outDir = path.join(root, 'dist/ui');
const assetsDir = path.join(outDir, 'assets');
/** Must match UI_ASSETS_PATH in src/server/ui/index.ts. */
const PUBLIC_ASSETS = '/ui/assets';
const FAVICON = path.join(root, 'src/server/graphiql/favicon.svg');
const dev = process.argv.includes('--dev');
const force = process.argv.includes('--force');

const digest = await inputsDigest({
  root,
  dev,
  files: [
    fileURLToPath(import.meta.url),
    fileURLToPath(new URL('./page-bundle.mjs', import.meta.url)),
    path.join(srcDir, 'index.html'),
    FAVICON,
  ],
  dirs: [path.join(srcDir, 'client')],
});
if (!force && (await isUpToDate(outDir, PUBLIC_ASSETS, digest))) {
  console.log(`Library browser bundle is up to date (${path.relative(root, outDir)}/); --force rebuilds it.`);
  process.exit(0);
}

await rm(outDir, { recursive: true, force: true });
await mkdir(assetsDir, { recursive: true });

const result = await build({
  ...commonBuildOptions({ root, dev, assetsDir, publicAssets: PUBLIC_ASSETS }),
  entryPoints: { main: path.join(srcDir, 'client/main.tsx') },
  entryNames: '[name]-[hash]',
  format: 'esm',
  jsx: 'automatic',
  plugins: [noRemoteImports('The library browser')],
});
const outputs = Object.entries(result.metafile.outputs);
const mainJs = outputs.find(([f, o]) => f.endsWith('.js') && o.entryPoint)?.[0];
const mainCss = outputs.find(([f]) => f.endsWith('.css'))?.[0];
if (!mainJs || !mainCss) throw new Error('build-ui: missing main .js or .css output');
const favicon = await faviconAsset();

const publicUrl = (file) =>
  `${PUBLIC_ASSETS}/${path.relative(assetsDir, path.resolve(root, file)).split(path.sep).join('/')}`;
const html = (await readFile(path.join(srcDir, 'index.html'), 'utf8'))
  .replace('%MAIN_JS%', publicUrl(mainJs))
  .replace('%MAIN_CSS%', publicUrl(mainCss))
  .replace('%FAVICON%', publicUrl(favicon));
assertNoRemoteReferences('build-ui', html);
await writeFile(path.join(outDir, 'index.html'), html);
await assertCssIsLocal('build-ui', [path.resolve(root, mainCss)]);

const files = [path.join(outDir, 'index.html'), ...[mainJs, mainCss, favicon].map((f) => path.resolve(root, f))];
const gzSizes = await precompress(files, assetsDir, dev);
await recordInputs(outDir, digest);
await reportSizes({ title: 'Library browser bundle', root, outDir, files, gzSizes, dev, started });

/** The favicon GraphiQL uses, under a content-hashed name of its own (served with the page's assets). */
async function faviconAsset() {
  const bytes = await readFile(FAVICON);
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 8).toUpperCase();
  const file = path.join(assetsDir, `favicon-${hash}.svg`);
  await copyFile(FAVICON, file);
  return path.relative(root, file);
}
