import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFacegraphApp } from './app';
import { ConfigError, loadConfig } from './config';
import { createLogger, describeConfigForLog } from './logger';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`facegraph: the configuration is not valid:\n${e.message}\n`);
      process.exit(78);
    }
    throw e;
  }
  const logger = createLogger(config.log.level);
  logger.info({ config: describeConfigForLog(config) }, 'starting facegraph');
  const facegraph = await createFacegraphApp(config, logger);

  const server = http.createServer(facegraph.app);
  await new Promise<void>((resolve) => server.listen(config.server.port, config.server.host, resolve));
  const { port } = server.address() as AddressInfo;
  const shownHost = ['0.0.0.0', '::', '127.0.0.1'].includes(config.server.host) ? 'localhost' : config.server.host;
  logger.info({ port }, 'facegraph is listening');
  process.stdout.write(`facegraph ready: GraphiQL at http://${shownHost}:${port}/graphql\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    // Stop accepting, let in-flight requests finish, then close the ledger.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const force = setTimeout(() => server.closeAllConnections(), 10_000);
    force.unref();
    await closed;
    await facegraph.close();
    logger.info('facegraph stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((e) => {
  process.stderr.write(`facegraph failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
