import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { TestServer } from './test-server';

// A real graphql-ws client (the `ws` WebSocket) subscribed to a test server, collecting what arrives.

export const FACE_EVENTS = `subscription($libraryId: ID) { faceEvents(libraryId: $libraryId) {
  kind faceId libraryId actor at face { id externalImageId fields } } }`;

export interface Subscriber {
  /** Data of every `next` so far, in arrival order. */
  events: any[];
  /** GraphQL errors the subscription ended with, if it did. */
  errors: Promise<any[]>;
  /** How the connection closed, when the server closed it (code and reason). */
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves once `count` events have arrived (fails after `timeoutMs`). */
  next(count: number, timeoutMs?: number): Promise<any[]>;
  client: Client;
  dispose(): Promise<void>;
}

export function subscribe(
  server: Pick<TestServer, 'wsUrl'>,
  options: { secret?: string | null; query?: string; variables?: Record<string, unknown>; client?: Client } = {},
): Subscriber {
  let closedWith!: (close: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    closedWith = resolve;
  });
  const client =
    options.client ??
    createClient({
      url: server.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: options.secret ? { authorization: `Bearer ${options.secret}` } : {},
      on: { closed: (event) => closedWith({ code: (event as any).code, reason: String((event as any).reason) }) },
    });
  const events: any[] = [];
  const waiters: (() => void)[] = [];
  let endWith!: (errors: any[]) => void;
  const errors = new Promise<any[]>((resolve) => {
    endWith = resolve;
  });
  const unsubscribe = client.subscribe(
    { query: options.query ?? FACE_EVENTS, variables: options.variables ?? {} },
    {
      next: (result) => {
        if (result.errors) endWith(result.errors as any[]);
        else events.push(result.data);
        waiters.splice(0).forEach((wake) => wake());
      },
      error: (e) => endWith(Array.isArray(e) ? e : [e]),
      complete: () => endWith([]),
    },
  );
  return {
    events,
    errors,
    closed,
    client,
    async next(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < count) {
        if (Date.now() > deadline)
          throw new Error(`${events.length} events after ${timeoutMs} ms, not ${count}: ${JSON.stringify(events)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return events.slice(0, count);
    },
    async dispose() {
      unsubscribe();
      if (!options.client) await client.dispose();
    },
  };
}

/** Waits until the server holds `count` subscriptions: a change made before that would not be seen. */
export async function untilSubscribed(server: TestServer, count: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (server.facegraph.services.faceEvents.subscriberCount < count) {
    if (Date.now() > deadline)
      throw new Error(`${server.facegraph.services.faceEvents.subscriberCount} subscriptions, not ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
