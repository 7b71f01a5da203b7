/**
 * Serves the self-hosted GraphiQL 5 IDE built by scripts/build-graphiql.mjs
 * (dist/graphiql/). Nothing on the page is loaded from outside this server.
 *
 * Mount the router BEFORE Apollo's middleware:
 *
 *   app.use(graphiqlHandlers(resolveGraphiqlDist()));
 *   app.use('/graphql', express.json(), expressMiddleware(server, ...));
 *
 * The router answers GET /graphql itself only for browser navigations
 * (Accept prefers text/html and no `query`/`extensions` parameter); every
 * other request falls through to Apollo.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** URL prefix of the bundled assets (must match PUBLIC_ASSETS in scripts/build-graphiql.mjs). */
export const GRAPHIQL_ASSETS_PATH = '/graphiql/assets';

/**
 * Content-Security-Policy of the GraphiQL page (and of the worker scripts, which
 * get their own policy from their response). Monaco injects <style> elements,
 * hence 'unsafe-inline' for styles only; its fonts are data: URLs.
 */
export const GRAPHIQL_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "worker-src 'self' blob:",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ');

export interface GraphiqlRouter extends Router {
  /**
   * `GET /graphql` handler: serves the GraphiQL page to browser navigations and
   * calls `next()` for everything else. Already mounted by the router itself;
   * exposed for servers that prefer `app.get('/graphql', serveGraphiqlPage)`.
   */
  serveGraphiqlPage: RequestHandler;
}

/**
 * Default location of the GraphiQL build: `<repo>/dist/graphiql`. Works from
 * the compiled file (`<repo>/dist/src/server/graphiql`) and from the sources
 * under jest (`<repo>/src/server/graphiql`): walks up to the directory that
 * holds package.json.
 */
export function resolveGraphiqlDist(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'dist', 'graphiql');
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  // Fallback: the conventional layouts, relative to this file.
  const rel = __dirname.split(path.sep).includes('dist') ? '../../../..' : '../../..';
  return path.resolve(__dirname, rel, 'dist', 'graphiql');
}

/** True for a browser navigation to the endpoint (not a GraphQL GET request). */
export function wantsGraphiqlPage(req: Request): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const q = req.query as Record<string, unknown> | undefined;
  if (q && (q.query !== undefined || q.extensions !== undefined)) return false;
  // Ties (e.g. `Accept: */*` or no Accept header) resolve to the JSON types,
  // which come first, so only clients that actually prefer HTML get the page.
  return req.accepts(['application/graphql-response+json', 'application/json', 'text/html']) === 'text/html';
}

const TEXT_COMPRESSIBLE = /\.(js|css|svg|ttf)$/;

function decodePath(urlPath: string): string | null {
  try {
    return decodeURIComponent(urlPath);
  } catch {
    return null;
  }
}

/** Express router serving the GraphiQL page, its assets and the favicon. */
export function graphiqlHandlers(distDir: string = resolveGraphiqlDist()): GraphiqlRouter {
  const router = express.Router() as GraphiqlRouter;
  const assetsDir = path.join(distDir, 'assets');
  const indexFile = path.join(distDir, 'index.html');
  const faviconFile = path.join(distDir, 'favicon.svg');

  const notBuilt = (res: Response): void => {
    res
      .status(503)
      .type('text/plain')
      .set('Cache-Control', 'no-store')
      .set('Retry-After', '30')
      .send('GraphiQL is not built. Run `npm run build` (or `node scripts/build-graphiql.mjs`).\n');
  };

  // (a) Content-hashed assets: cache forever. Serve <file>.gz when accepted.
  router.use(GRAPHIQL_ASSETS_PATH, async (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    res.set('Content-Security-Policy', GRAPHIQL_CSP); // applies to the Monaco worker scripts
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
    GRAPHIQL_ASSETS_PATH,
    express.static(assetsDir, { maxAge: '1y', immutable: true, index: false, redirect: false, fallthrough: true }),
    (req, res) => {
      // Unknown asset (stale hash, or not built): plain 404, never fall through.
      res.status(404).type('text/plain').set('Cache-Control', 'no-store').send('Not found\n');
    },
  );

  // (b) Favicon (SVG, also for browsers that probe /favicon.ico).
  const favicon: RequestHandler = (_req, res, next) => {
    res.sendFile(faviconFile, { maxAge: '1d', headers: { 'Content-Type': 'image/svg+xml' } }, (err) => {
      if (!err) return;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !res.headersSent) {
        res.status(404).type('text/plain').send('Not found\n');
      } else if (!res.headersSent) {
        next(err);
      }
    });
  };
  router.get(['/favicon.svg', '/favicon.ico'], favicon);

  // (c) The page itself, for browser navigations to GET /graphql.
  const serveGraphiqlPage: RequestHandler = async (req, res, next) => {
    if (!wantsGraphiqlPage(req)) return next();
    let html: Buffer;
    try {
      html = await readFile(indexFile); // tiny; re-read so rebuilds need no restart
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return notBuilt(res);
      return next(err);
    }
    res
      .status(200)
      .vary('Accept')
      .set({
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': GRAPHIQL_CSP,
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'X-Frame-Options': 'SAMEORIGIN',
      })
      .send(html);
  };
  router.get('/graphql', serveGraphiqlPage);
  router.serveGraphiqlPage = serveGraphiqlPage;

  return router;
}
