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
// (this script, the page's sources, the installed packages and the mode), recorded in INPUTS_FILE.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { constants as zlibConstants, gzip as gzipCb } from 'node:zlib';

const gzip = promisify(gzipCb);

const started = performance.now();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = path.join(root, 'src/server/graphiql');
const outDir = path.join(root, 'dist/graphiql');
const assetsDir = path.join(outDir, 'assets');
const PUBLIC_ASSETS = '/graphiql/assets';
const dev = process.argv.includes('--dev');
const force = process.argv.includes('--force');
const require = createRequire(path.join(root, 'package.json'));
/** Written last, so it exists only beside a complete build. */
const INPUTS_FILE = path.join(outDir, 'build-inputs.sha256');

/** A digest of everything the bundle is made from. */
async function inputsDigest() {
  const hash = createHash('sha256').update(dev ? 'dev\n' : 'production\n');
  const files = [fileURLToPath(import.meta.url), path.join(srcDir, 'index.html'), path.join(srcDir, 'favicon.svg')];
  const clientDir = path.join(srcDir, 'client');
  for (const entry of (await readdir(clientDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile())) {
    files.push(path.join(entry.parentPath ?? entry.path, entry.name)); // .path before Node 20.12
  }
  // npm's record of what is installed; package-lock.json where there is none.
  const installed = path.join(root, 'node_modules', '.package-lock.json');
  files.push(await stat(installed).then(() => installed, () => path.join(root, 'package-lock.json')));
  for (const file of files.sort()) hash.update(`${path.relative(root, file)}\n`).update(await readFile(file));
  return hash.digest('hex');
}

/** Whether the page and the assets it names are all there (a file deleted by hand means: build again). */
async function pageIsComplete() {
  const html = await readFile(path.join(outDir, 'index.html'), 'utf8').catch(() => null);
  if (html === null) return false;
  const named = [...html.matchAll(new RegExp(`${PUBLIC_ASSETS}/([\\w.-]+)`, 'g'))].map((m) => m[1]);
  const present = await Promise.all(named.map((name) => stat(path.join(assetsDir, name)).then(() => true, () => false)));
  return present.every(Boolean);
}

const digest = await inputsDigest();
const builtFrom = await readFile(INPUTS_FILE, 'utf8').catch(() => null);
if (!force && builtFrom?.trim() === digest && (await pageIsComplete())) {
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

/** Shared esbuild options. */
const common = {
  absWorkingDir: root,
  bundle: true,
  minify: !dev,
  sourcemap: dev ? 'inline' : false,
  legalComments: dev ? 'inline' : 'none',
  target: ['es2022', 'chrome109', 'firefox115', 'safari16'],
  platform: 'browser',
  logLevel: 'warning',
  metafile: true,
  write: true,
  outdir: assetsDir,
  assetNames: '[name]-[hash]',
  publicPath: PUBLIC_ASSETS,
  define: {
    'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production'),
    global: 'globalThis',
  },
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
    `build-graphiql: graphiql/style.css embeds Monaco CSS ${bundled ?? '(none)'} but monaco-editor is ${monacoVersion}; ` +
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

/** Any http(s) URL pulled into a bundle as an import is a build error. */
const noRemoteImports = {
  name: 'no-remote-imports',
  setup(b) {
    b.onResolve({ filter: /^(https?:)?\/\// }, (args) => ({
      errors: [{ text: `remote import "${args.path}" is not allowed (GraphiQL must be self-contained)` }],
    }));
  },
};

function outputsOf(result, entryName) {
  return Object.entries(result.metafile.outputs).filter(([, o]) => o.entryPoint && path.basename(o.entryPoint).startsWith(entryName));
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
  plugins: [noRemoteImports],
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
  plugins: [noRemoteImports, ...(stubCss ? [stubMonacoCss] : [])],
});

const mainOutputs = outputsOf(appResult, 'main');
const mainJs = mainOutputs.find(([f]) => f.endsWith('.js'))?.[0];
const mainCss = mainOutputs.map(([, o]) => o.cssBundle).find(Boolean) ?? Object.keys(appResult.metafile.outputs).find((f) => f.endsWith('.css'));
if (!mainJs || !mainCss) throw new Error('build-graphiql: missing main .js or .css output');

// 3. index.html + favicon.
const html = (await readFile(path.join(srcDir, 'index.html'), 'utf8'))
  .replace('%MAIN_JS%', publicUrl(mainJs))
  .replace('%MAIN_CSS%', publicUrl(mainCss));
if (/\b(src|href)="(https?:)?\/\//i.test(html)) throw new Error('build-graphiql: index.html references a remote URL');
await writeFile(path.join(outDir, 'index.html'), html);
await copyFile(path.join(srcDir, 'favicon.svg'), path.join(outDir, 'favicon.svg'));

// 4. Guard: the bundles must not load anything from outside (fonts, CSS @import, workers).
const remoteUrlInCss = /url\(\s*['"]?(https?:)?\/\/|@import\s+(url\()?\s*['"]?(https?:)?\/\//i;
const all = { ...workersResult.metafile.outputs, ...appResult.metafile.outputs };
for (const out of Object.keys(all)) {
  if (out.endsWith('.css') && remoteUrlInCss.test(await readFile(path.resolve(root, out), 'utf8'))) {
    throw new Error(`build-graphiql: ${out} references a remote URL`);
  }
}

// 5. Precompressed copies (<file>.gz) of the text assets (production builds
//    only); the server sends them with Content-Encoding: gzip when accepted.
const files = [path.join(outDir, 'index.html'), path.join(outDir, 'favicon.svg'), ...Object.keys(all).map((o) => path.resolve(root, o))];
const gzSizes = new Map();
await Promise.all(
  files
    .filter((f) => !dev && f.startsWith(assetsDir + path.sep) && /\.(js|css|svg|ttf)$/.test(f))
    .map(async (f) => {
      const gz = await gzip(await readFile(f), { level: zlibConstants.Z_BEST_COMPRESSION });
      await writeFile(`${f}.gz`, gz);
      gzSizes.set(f, gz.length);
    }),
);

await writeFile(INPUTS_FILE, `${digest}\n`);

// 6. Report.
const kb = (n) => `${(n / 1024).toFixed(1).padStart(8)} KiB`;
const rows = [];
for (const f of files) rows.push([f, (await stat(f)).size, gzSizes.get(f)]);
rows.sort((a, b) => b[1] - a[1]);
const sum = (i) => rows.reduce((s, r) => s + (r[i] ?? r[1]), 0);
console.log(`GraphiQL bundle (${dev ? 'development' : 'production, minified'}) -> ${path.relative(root, outDir)}/`);
console.log(`  ${'raw'.padStart(12)}  ${'gzip'.padStart(12)}  file`);
for (const [f, n, gz] of rows) console.log(`  ${kb(n)}  ${gz ? kb(gz) : ' '.repeat(12)}  ${path.relative(root, f)}`);
console.log(`  ${kb(sum(1))}  ${kb(sum(2))}  total; built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
