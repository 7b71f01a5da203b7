import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InsecureStartRefused, refuseInsecureStart } from './auth/auth-mode';
import { ConfigError, loadConfig } from './config';
import { listen, ListenError } from './listen';
import { createLogger, describeConfigForLog } from './logger';

/** EX_CONFIG (sysexits.h): the configuration, or the address it names, cannot work. */
const EX_CONFIG = 78;
/** How long the face engine may warm up before the log says the server is still not ready. */
const SLOW_READINESS_MS = 30_000;

/** Answers while the app is being built: the port is taken early so that a wrong one fails at once. */
const starting: http.RequestListener = (_req, res) => {
  res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ status: 'starting' }));
};

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`facegraph: the configuration is not valid:\n${e.message}\n`);
      process.exit(EX_CONFIG);
    }
    throw e;
  }
  const logger = createLogger(config.log.level);
  logger.info({ config: describeConfigForLog(config) }, 'starting facegraph');

  try {
    await refuseInsecureStart(config.auth, config.server.host, async () => {
      const { openLedger } = await import('../datasources/ledger/index.js');
      const ledger = await openLedger(config.ledger.url, { poolSize: config.ledger.poolSize });
      try {
        return (await ledger.access.countUsableApiKeys(new Date())) > 0;
      } finally {
        await ledger.close();
      }
    });
  } catch (e) {
    if (e instanceof InsecureStartRefused) {
      process.stderr.write(`facegraph: ${e.message}\n`);
      process.exit(EX_CONFIG);
    }
    throw e;
  }

  const server = http.createServer(starting);
  try {
    await listen(server, config.server.port, config.server.host);
  } catch (e) {
    if (e instanceof ListenError) {
      process.stderr.write(`facegraph: ${e.message}\n`);
      process.exit(EX_CONFIG);
    }
    throw e;
  }
  const { port } = server.address() as AddressInfo;
  logger.info({ port }, 'facegraph is listening');

  // Loaded only now (schema, vendors, face engine: about a second) so that a configuration or address
  // that cannot work is reported at once.
  const { createFacegraphApp } = await import('./app.js');
  let facegraph;
  try {
    facegraph = await createFacegraphApp(config, logger);
  } catch (e) {
    if (e instanceof InsecureStartRefused) {
      process.stderr.write(`facegraph: ${e.message}\n`);
      process.exit(EX_CONFIG);
    }
    throw e;
  }
  server.off('request', starting);
  server.on('request', facegraph.handler);
  facegraph.serveSubscriptions(server);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    // Stop accepting, let in-flight requests finish, then close the ledger.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // A WebSocket holds its connection open: closed now (1001 Going away), or server.close would wait for it.
    await facegraph.stopSubscriptions();
    const force = setTimeout(() => server.closeAllConnections(), 10_000);
    force.unref();
    await closed;
    await facegraph.close();
    logger.info('facegraph stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  // "ready" means what GET /readyz says: ledger and providers (the LOCAL engine's workers) can serve.
  const slow = setTimeout(() => {
    void facegraph.readiness().then((state) => logger.warn({ readiness: state }, 'facegraph is not ready yet'));
  }, SLOW_READINESS_MS);
  try {
    await facegraph.whenReady();
  } catch {
    return; // closed by a signal while warming up
  } finally {
    clearTimeout(slow);
  }
  const shownHost = ['0.0.0.0', '::', '127.0.0.1'].includes(config.server.host) ? 'localhost' : config.server.host;
  logger.info({ port }, 'facegraph is ready');
  const browser = config.server.ui ? ` and the library browser at http://${shownHost}:${port}/ui` : '';
  process.stdout.write(`facegraph ready: GraphiQL at http://${shownHost}:${port}/graphql${browser}\n`);
}

main().catch((e) => {
  process.stderr.write(`facegraph failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
