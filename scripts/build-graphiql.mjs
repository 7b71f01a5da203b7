#!/usr/bin/env node
// Bundles GraphiQL 5 (React 19 + Monaco + monaco-graphql) from node_modules into
// dist/graphiql/ so that the page served at GET /graphql loads nothing from
// outside the server: no CDN, no web fonts, Monaco workers bundled as files.
//
//   dist/graphiql/index.html                 (references /graphiql/assets/... and /favicon.svg only)
//   dist/graphiql/favicon.svg
//   dist/graphiql/assets/main-[hash].js|css  (the app; styles include Monaco's CSS and inlined fonts)
//   dist/graphiql/assets/*.worker-[hash].js  (Monaco editor / JSON / GraphQL web workers)
//   dist/graphiql/assets/[name]-[hash].*     (any font or image referenced from CSS)
//
// Usage: node scripts/build-graphiql.mjs [--dev] [--force]
//   --dev: no minification, inline source maps; --force: build even when the inputs are unchanged.
//
// `npm start` runs this every time: it does nothing when dist/graphiql/ was built from the same inputs
// (this script, the page's sources, the installed packages and the mode; see scripts/page-bundle.mjs).
import { build } from 'esbuild';
import { createRequire } from 'node:module';
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
const srcDir = path.join(root, 'src/server/graphiql');
const outDir = path.join(root, 'dist/graphiql');
const assetsDir = path.join(outDir, 'assets');
const PUBLIC_ASSETS = '/graphiql/assets';
const dev = process.argv.includes('--dev');
const force = process.argv.includes('--force');
const require = createRequire(path.join(root, 'package.json'));

const digest = await inputsDigest({
  root,
  dev,
  files: [
    fileURLToPath(import.meta.url),
    fileURLToPath(new URL('./page-bundle.mjs', import.meta.url)),
    path.join(srcDir, 'index.html'),
    path.join(srcDir, 'favicon.svg'),
  ],
  dirs: [path.join(srcDir, 'client')],
});
if (!force && (await isUpToDate(outDir, PUBLIC_ASSETS, digest))) {
  console.log(`GraphiQL bundle is up to date (${path.relative(root, outDir)}/); --force rebuilds it.`);
  process.exit(0);
}

// Every module must come from the project's node_modules. The toolkit is a
// dependency of graphiql/@graphiql/react, hoisted to the top level by npm.
for (const pkg of ['graphiql', '@graphiql/toolkit', 'monaco-editor', 'monaco-graphql', 'react-dom']) {
  try {
    require.resolve(`${pkg}/package.json`);
  } catch {
    console.error(`build-graphiql: cannot resolve "${pkg}" from ${root}; run npm install.`);
    process.exit(1);
  }
}

/** Shared esbuild options: fonts and images referenced from CSS become files of their own. */
const common = {
  ...commonBuildOptions({ root, dev, assetsDir, publicAssets: PUBLIC_ASSETS }),
  loader: {
    '.ttf': 'file',
    '.woff': 'file',
    '.woff2': 'file',
    '.eot': 'file',
    '.svg': 'file',
    '.png': 'file',
    '.gif': 'file',
  },
};

// graphiql/style.css is the complete stylesheet: GraphiQL + @graphiql/react +
// Monaco's editor.main.css (codicon font inlined as a data: URL) + Roboto/Fira
// Code as data: URLs. Monaco's ESM sources additionally `import './x.css'`
// themselves; bundling those too would duplicate ~150 KB of CSS, so they are
// stubbed out — but only when style.css was built from the same Monaco version.
async function monacoCssIsInStyleCss() {
  const monacoVersion = JSON.parse(await readFile(require.resolve('monaco-editor/package.json'), 'utf8')).version;
  const head = (await readFile(require.resolve('graphiql/style.css'), 'utf8')).slice(0, 2000);
  const bundled = /Version:\s*([\d.]+)/.exec(head)?.[1];
  if (bundled === monacoVersion) return true;
  console.warn(
    `build-graphiql: graphiql/style.css embeds Monaco CSS ${bundled ?? '(none)'} ` +
      `but monaco-editor is ${monacoVersion}; ` +
      'bundling Monaco CSS from its sources instead.',
  );
  return false;
}

const stubMonacoCss = {
  name: 'stub-monaco-css',
  setup(b) {
    b.onLoad({ filter: /[\\/]monaco-editor[\\/]esm[\\/].*\.css$/ }, () => ({ contents: '', loader: 'css' }));
  },
};

const noRemote = noRemoteImports('GraphiQL');

function outputsOf(result, entryName) {
  return Object.entries(result.metafile.outputs).filter(
    ([, o]) => o.entryPoint && path.basename(o.entryPoint).startsWith(entryName),
  );
}

function publicUrl(outputPath) {
  return `${PUBLIC_ASSETS}/${path.relative(assetsDir, path.resolve(root, outputPath)).split(path.sep).join('/')}`;
}

await rm(outDir, { recursive: true, force: true });
await mkdir(assetsDir, { recursive: true });

const stubCss = await monacoCssIsInStyleCss();

// 1. Monaco workers: classic (IIFE) scripts, started with `new Worker(url)`.
const workerEntries = {
  'editor.worker': require.resolve('monaco-editor/esm/vs/editor/editor.worker.js'),
  'json.worker': require.resolve('monaco-editor/esm/vs/language/json/json.worker.js'),
  'graphql.worker': require.resolve('monaco-graphql/esm/graphql.worker.js'),
};
// 2. The app itself (ESM, one file: Monaco is imported dynamically by
//    @graphiql/react but without code splitting esbuild inlines it, which keeps
//    all CSS in one stylesheet and avoids a request waterfall).
const workersResult = await build({
  ...common,
  entryPoints: workerEntries,
  entryNames: '[name]-[hash]',
  format: 'iife',
  plugins: [noRemote],
});

const workerUrls = {};
for (const [out, meta] of Object.entries(workersResult.metafile.outputs)) {
  if (!meta.entryPoint || !out.endsWith('.js')) continue;
  const key = Object.entries(workerEntries).find(([, file]) => path.resolve(root, meta.entryPoint) === file)?.[0];
  if (key) workerUrls[key.replace('.worker', '')] = publicUrl(out);
}
for (const k of ['editor', 'json', 'graphql']) {
  if (!workerUrls[k]) throw new Error(`build-graphiql: no output for ${k}.worker`);
}

const appResult = await build({
  ...common,
  entryPoints: { main: path.join(srcDir, 'client/main.jsx') },
  entryNames: '[name]-[hash]',
  format: 'esm',
  splitting: false,
  jsx: 'automatic',
  define: { ...common.define, __GRAPHIQL_WORKERS__: JSON.stringify(workerUrls) },
  plugins: [noRemote, ...(stubCss ? [stubMonacoCss] : [])],
});

const mainOutputs = outputsOf(appResult, 'main');
const mainJs = mainOutputs.find(([f]) => f.endsWith('.js'))?.[0];
const mainCss =
  mainOutputs.map(([, o]) => o.cssBundle).find(Boolean) ??
  Object.keys(appResult.metafile.outputs).find((f) => f.endsWith('.css'));
if (!mainJs || !mainCss) throw new Error('build-graphiql: missing main .js or .css output');

// 3. index.html + favicon.
const html = (await readFile(path.join(srcDir, 'index.html'), 'utf8'))
  .replace('%MAIN_JS%', publicUrl(mainJs))
  .replace('%MAIN_CSS%', publicUrl(mainCss));
assertNoRemoteReferences('build-graphiql', html);
await writeFile(path.join(outDir, 'index.html'), html);
await copyFile(path.join(srcDir, 'favicon.svg'), path.join(outDir, 'favicon.svg'));

// 4. Guard: the bundles must not load anything from outside (fonts, CSS @import, workers).
const all = { ...workersResult.metafile.outputs, ...appResult.metafile.outputs };
await assertCssIsLocal(
  'build-graphiql',
  Object.keys(all)
    .filter((o) => o.endsWith('.css'))
    .map((o) => path.resolve(root, o)),
);

// 5. Precompressed copies (<file>.gz) of the text assets (production builds only).
const files = [
  path.join(outDir, 'index.html'),
  path.join(outDir, 'favicon.svg'),
  ...Object.keys(all).map((o) => path.resolve(root, o)),
];
const gzSizes = await precompress(files, assetsDir, dev);

await recordInputs(outDir, digest);

// 6. Report.
await reportSizes({ title: 'GraphiQL bundle', root, outDir, files, gzSizes, dev, started });
