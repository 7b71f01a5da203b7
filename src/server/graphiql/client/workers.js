// Monaco web-worker wiring. The worker URLs are injected at build time by
// scripts/build-graphiql.mjs (content-hashed files under /graphiql/assets/),
// so nothing is ever fetched from a CDN.
/* global __GRAPHIQL_WORKERS__ */
const workers = __GRAPHIQL_WORKERS__;

globalThis.MonacoEnvironment = {
  getWorker(_workerId, label) {
    switch (label) {
      case 'json':
        return new Worker(workers.json, { name: 'json' });
      case 'graphql':
        return new Worker(workers.graphql, { name: 'graphql' });
      default:
        return new Worker(workers.editor, { name: label || 'editor' });
    }
  },
};
