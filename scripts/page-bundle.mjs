// What the two browser pages' builds share (scripts/build-graphiql.mjs: GraphiQL at /graphql;
// scripts/build-ui.mjs: the library browser at /ui): rebuild only when the inputs changed, refuse
// remote URLs, precompress text assets, report sizes. Each page is a folder under dist/ with an
// index.html naming its assets under one public path.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { constants as zlibConstants, gzip as gzipCb } from 'node:zlib';

const gzip = promisify(gzipCb);

/** The file, written last, that records the digest of the inputs a complete build was made from. */
export const INPUTS_FILE_NAME = 'build-inputs.sha256';

/**
 * A digest of everything a bundle is made from: the mode, the given files, every file under the given
 * folders, and npm's record of what is installed (package-lock.json where there is none).
 */
export async function inputsDigest({ root, dev, files = [], dirs = [] }) {
  const hash = createHash('sha256').update(dev ? 'dev\n' : 'production\n');
  const all = [...files];
  for (const dir of dirs) {
    for (const entry of (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile())) {
      all.push(path.join(entry.parentPath ?? entry.path, entry.name)); // .path before Node 20.12
    }
  }
  const installed = path.join(root, 'node_modules', '.package-lock.json');
  all.push(
    await stat(installed).then(
      () => installed,
      () => path.join(root, 'package-lock.json'),
    ),
  );
  for (const file of all.sort()) hash.update(`${path.relative(root, file)}\n`).update(await readFile(file));
  return hash.digest('hex');
}

/** Whether outDir was built from `digest` and its page and every asset the page names are there. */
export async function isUpToDate(outDir, publicAssets, digest) {
  const builtFrom = await readFile(path.join(outDir, INPUTS_FILE_NAME), 'utf8').catch(() => null);
  if (builtFrom?.trim() !== digest) return false;
  const html = await readFile(path.join(outDir, 'index.html'), 'utf8').catch(() => null);
  if (html === null) return false;
  const escaped = publicAssets.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const named = [...html.matchAll(new RegExp(`${escaped}/([\\w.-]+)`, 'g'))].map((m) => m[1]);
  const assetsDir = path.join(outDir, 'assets');
  const present = await Promise.all(
    named.map((name) =>
      stat(path.join(assetsDir, name)).then(
        () => true,
        () => false,
      ),
    ),
  );
  return present.every(Boolean);
}

export async function recordInputs(outDir, digest) {
  await writeFile(path.join(outDir, INPUTS_FILE_NAME), `${digest}\n`);
}

/** esbuild plugin: any http(s) URL pulled into a bundle as an import is a build error. */
export function noRemoteImports(pageName) {
  return {
    name: 'no-remote-imports',
    setup(b) {
      b.onResolve({ filter: /^(https?:)?\/\// }, (args) => ({
        errors: [{ text: `remote import "${args.path}" is not allowed (${pageName} must be self-contained)` }],
      }));
    },
  };
}

/** esbuild options both pages use; `assetsDir` is where files go, `publicAssets` the URL path they are served at. */
export function commonBuildOptions({ root, dev, assetsDir, publicAssets }) {
  return {
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
    publicPath: publicAssets,
    define: {
      'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production'),
      global: 'globalThis',
    },
  };
}

/** Refuses a page that references a remote script, stylesheet or image. */
export function assertNoRemoteReferences(pageName, html) {
  if (/\b(src|href)="(https?:)?\/\//i.test(html)) throw new Error(`${pageName}: index.html references a remote URL`);
}

/** Refuses a stylesheet that loads anything from outside (fonts, @import). */
export async function assertCssIsLocal(pageName, cssFiles) {
  const remoteUrlInCss = /url\(\s*['"]?(https?:)?\/\/|@import\s+(url\()?\s*['"]?(https?:)?\/\//i;
  for (const file of cssFiles) {
    if (remoteUrlInCss.test(await readFile(file, 'utf8')))
      throw new Error(`${pageName}: ${file} references a remote URL`);
  }
}

/**
 * Writes <file>.gz beside each text asset under assetsDir (production builds only); the server sends them
 * with Content-Encoding: gzip when accepted. Returns the compressed sizes.
 */
export async function precompress(files, assetsDir, dev) {
  const sizes = new Map();
  await Promise.all(
    files
      .filter((f) => !dev && f.startsWith(assetsDir + path.sep) && /\.(js|css|svg|ttf)$/.test(f))
      .map(async (f) => {
        const gz = await gzip(await readFile(f), { level: zlibConstants.Z_BEST_COMPRESSION });
        await writeFile(`${f}.gz`, gz);
        sizes.set(f, gz.length);
      }),
  );
  return sizes;
}

/** Prints each file's size (and gzip size), largest first, and the total. */
export async function reportSizes({ title, root, outDir, files, gzSizes, dev, started }) {
  const kb = (n) => `${(n / 1024).toFixed(1).padStart(8)} KiB`;
  const rows = [];
  for (const f of files) rows.push([f, (await stat(f)).size, gzSizes.get(f)]);
  rows.sort((a, b) => b[1] - a[1]);
  const sum = (i) => rows.reduce((s, r) => s + (r[i] ?? r[1]), 0);
  console.log(`${title} (${dev ? 'development' : 'production, minified'}) -> ${path.relative(root, outDir)}/`);
  console.log(`  ${'raw'.padStart(12)}  ${'gzip'.padStart(12)}  file`);
  for (const [f, n, gz] of rows) console.log(`  ${kb(n)}  ${gz ? kb(gz) : ' '.repeat(12)}  ${path.relative(root, f)}`);
  console.log(`  ${kb(sum(1))}  ${kb(sum(2))}  total; built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
