import express, { type NextFunction, type Response, type Router } from 'express';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

// What the two browser pages (GraphiQL at /graphql, the library browser at /ui) share on the server: each is a
// folder under dist/ built by a script (scripts/page-bundle.mjs), with an index.html and content-hashed assets,
// served with a strict Content-Security-Policy and nothing loaded from elsewhere.

/**
 * Where the build of page `name` lives: `<repo>/dist/<name>`, found by walking up to the directory holding
 * package.json (works from the compiled file under dist/src/server and from the sources under jest).
 */
export function resolvePageDist(name: string, from: string): string {
  let dir = from;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'dist', name);
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  // Fallback: the conventional layouts, relative to the calling file's folder (src/server/<page>).
  const rel = from.split(path.sep).includes('dist') ? '../../../..' : '../../..';
  return path.resolve(from, rel, 'dist', name);
}

const TEXT_COMPRESSIBLE = /\.(js|css|svg|ttf)$/;

function decodePath(urlPath: string): string | null {
  try {
    return decodeURIComponent(urlPath);
  } catch {
    return null;
  }
}

/**
 * Serves `assetsDir` at `publicPath`: content-hashed, so cached for a year; `<file>.gz` when the client accepts
 * gzip; a plain 404 for an unknown name (a stale hash, or not built), never falling through to other routes.
 */
export function serveBundledAssets(router: Router, publicPath: string, assetsDir: string, csp: string): void {
  router.use(publicPath, async (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    res.set('Content-Security-Policy', csp); // applies to worker scripts
    res.set('X-Content-Type-Options', 'nosniff');
    res.set('Cross-Origin-Resource-Policy', 'same-origin');
    if (!TEXT_COMPRESSIBLE.test(req.path) || !req.acceptsEncodings('gzip')) return next();
    const decoded = decodePath(req.path);
    // A path that does not decode names no asset: express.static below answers it with the plain 404.
    if (decoded === null) return next();
    const rel = path.normalize(decoded).replace(/^([/\\])+/, '');
    if (rel.startsWith('..') || path.isAbsolute(rel)) return next();
    const gz = path.join(assetsDir, `${rel}.gz`);
    try {
      if (!(await stat(gz)).isFile()) return next();
    } catch {
      return next();
    }
    res.vary('Accept-Encoding');
    res.set('Content-Encoding', 'gzip');
    res.type(path.extname(rel)); // send() keeps an already-set Content-Type
    res.sendFile(gz, { maxAge: '1y', immutable: true, acceptRanges: false, lastModified: false }, (err) => {
      if (err && !res.headersSent) next(err);
    });
  });
  router.use(
    publicPath,
    express.static(assetsDir, { maxAge: '1y', immutable: true, index: false, redirect: false, fallthrough: true }),
    (_req, res) => {
      res.status(404).type('text/plain').set('Cache-Control', 'no-store').send('Not found\n');
    },
  );
}

/** Sends a page's index.html (re-read each time: it is tiny, and a rebuild then needs no restart). */
export async function sendPage(
  res: Response,
  next: NextFunction,
  page: { indexFile: string; csp: string; notBuilt: string },
): Promise<void> {
  let html: Buffer;
  try {
    html = await readFile(page.indexFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return next(err);
    res
      .status(503)
      .type('text/plain')
      .set('Cache-Control', 'no-store')
      .set('Retry-After', '30')
      .send(`${page.notBuilt}\n`);
    return;
  }
  res
    .status(200)
    .vary('Accept')
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': page.csp,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'SAMEORIGIN',
    })
    .send(html);
}
