import 'reflect-metadata';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ApolloServerPlugin } from '@apollo/server';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import type { DestinationStream } from 'pino';
import { createFacegraphApp, type FacegraphApp } from '../../src/server/app';
import { loadConfig, type FacegraphConfig } from '../../src/server/config';
import { createLogger } from '../../src/server/logger';
import type { RequestContext } from '../../src/resolvers';
import { createPostgresSchema, type LedgerBackend, type PostgresSchema } from './ledgers';

export interface TestServer {
  /** http://127.0.0.1:PORT/graphql */
  url: string;
  /** ws://127.0.0.1:PORT/graphql (graphql-ws) */
  wsUrl: string;
  origin: string;
  dataDir: string;
  facegraph: FacegraphApp;
  close(): Promise<void>;
}

export interface TestServerOptions {
  dataDir?: string;
  /** Adjusts the loaded configuration (defaults + environment) before the server is built. */
  configure?: (config: FacegraphConfig) => void;
  /** Where the server's log lines go (at level info); silent when omitted. */
  logTo?: DestinationStream;
  /**
   * The ledger: a SQLite file in the data dir, or a PostgreSQL schema of its own, dropped on close. Default:
   * FACEGRAPH_TEST_LEDGER, else sqlite (so any integration test file can run on PostgreSQL too).
   */
  ledger?: LedgerBackend;
  /** Extra Apollo plugins (e.g. one counting the requests that reach the GraphQL pipeline). */
  plugins?: ApolloServerPlugin<RequestContext>[];
}

/**
 * The real server (real SQLite file or PostgreSQL schema, real HTTP) on 127.0.0.1 and a free port, in a fresh data
 * dir.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'facegraph-test-'));
  const logLevel = options.logTo ? 'info' : 'silent';
  const config = loadConfig(
    { FACEGRAPH_DATA_DIR: dataDir, LOG_LEVEL: logLevel, HOST: '127.0.0.1', PORT: '0' },
    dataDir,
  );
  const backend = options.ledger ?? (process.env.FACEGRAPH_TEST_LEDGER === 'postgres' ? 'postgres' : 'sqlite');
  const postgres: PostgresSchema | null = backend === 'postgres' ? await createPostgresSchema() : null;
  if (postgres) config.ledger.url = postgres.url;
  options.configure?.(config);
  const facegraph = await createFacegraphApp(config, createLogger(config.log.level, options.logTo), options.plugins);
  const server = http.createServer(facegraph.handler);
  facegraph.serveSubscriptions(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  await waitUntilReady(origin);
  return {
    url: `${origin}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    origin,
    dataDir,
    facegraph,
    async close() {
      await facegraph.stopSubscriptions();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await facegraph.close();
      await postgres?.drop();
    },
  };
}

/** Polls /readyz as an orchestrator would: the LOCAL face engine warms up in its workers after start. */
async function waitUntilReady(origin: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${origin}/readyz`);
    if (res.ok) return;
    if (Date.now() > deadline) throw new Error(`the server was not ready after ${timeoutMs} ms: ${await res.text()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface GraphQLResponse<T> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown>; path?: unknown[] }[];
}

/** POSTs one operation over HTTP, as a client would. */
export async function gql<T = any>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLResponse<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GraphQLResponse<T>;
}

/** Sends a generated typed document and returns its data; GraphQL errors fail the test with their messages. */
export async function execute<TResult, TVariables>(
  url: string,
  document: TypedDocumentNode<TResult, TVariables>,
  variables?: TVariables,
): Promise<TResult> {
  const response = await gql<TResult>(url, print(document), variables as Record<string, unknown> | undefined);
  if (response.errors?.length || !response.data) {
    throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
  }
  return response.data;
}
