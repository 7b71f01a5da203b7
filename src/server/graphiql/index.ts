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
import express, { type Request, type RequestHandler, type Router } from 'express';
import path from 'node:path';
import { resolvePageDist, sendPage, serveBundledAssets } from '../bundled-page';

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
  return resolvePageDist('graphiql', __dirname);
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

/** Express router serving the GraphiQL page, its assets and the favicon. */
export function graphiqlHandlers(distDir: string = resolveGraphiqlDist()): GraphiqlRouter {
  const router = express.Router() as GraphiqlRouter;
  const assetsDir = path.join(distDir, 'assets');
  const indexFile = path.join(distDir, 'index.html');
  const faviconFile = path.join(distDir, 'favicon.svg');

  // (a) Content-hashed assets.
  serveBundledAssets(router, GRAPHIQL_ASSETS_PATH, assetsDir, GRAPHIQL_CSP);

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
    await sendPage(res, next, {
      indexFile,
      csp: GRAPHIQL_CSP,
      notBuilt: 'GraphiQL is not built. Run `npm run build` (or `node scripts/build-graphiql.mjs`).',
    });
  };
  router.get('/graphql', serveGraphiqlPage);
  router.serveGraphiqlPage = serveGraphiqlPage;

  return router;
}
