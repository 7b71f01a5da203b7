import express, { type Router } from 'express';
import path from 'node:path';
import { resolvePageDist, sendPage, serveBundledAssets } from '../bundled-page';

// The library browser (issue 14): a page at GET /ui built by scripts/build-ui.mjs into dist/ui/, which talks to
// the server only through the public GraphQL API at /graphql (HTTP and graphql-ws on the same origin).

export const UI_PATH = '/ui';
/** URL prefix of the bundled assets (must match PUBLIC_ASSETS in scripts/build-ui.mjs). */
export const UI_ASSETS_PATH = '/ui/assets';

/**
 * Content-Security-Policy of the page: its own scripts and styles only; images from this server (thumbnails at
 * their signed URLs, and `imageOrigin` when server.publicUrl names another origin) and blob: (the preview of a
 * dropped file); requests to this origin only (CSP 3: 'self' covers ws: to the same host).
 */
export function uiCsp(imageOrigin?: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' blob: data:${imageOrigin ? ` ${imageOrigin}` : ''}`,
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
  ].join('; ');
}

export function resolveUiDist(): string {
  return resolvePageDist('ui', __dirname);
}

/** Express router serving GET /ui and its assets. */
export function uiHandlers(distDir: string = resolveUiDist(), publicUrl?: string): Router {
  const router = express.Router();
  const csp = uiCsp(publicUrl ? new URL(publicUrl).origin : undefined);
  serveBundledAssets(router, UI_ASSETS_PATH, path.join(distDir, 'assets'), csp);
  router.get([UI_PATH, `${UI_PATH}/`], async (_req, res, next) => {
    await sendPage(res, next, {
      indexFile: path.join(distDir, 'index.html'),
      csp,
      notBuilt: 'The library browser is not built. Run `npm run build` (or `node scripts/build-ui.mjs`).',
    });
  });
  return router;
}
