import { createClient, type Client } from 'graphql-ws';
import { UiFaceEventsDocument, type UiFaceEventsSubscription } from '../generated/graphql';
import { apiKey } from './graphql-client';

// faceEvents over graphql-ws at /graphql on this origin; the API key goes in connection_init.

export type FaceEvent = UiFaceEventsSubscription['faceEvents'];

let client: Client | null = null;
let clientKey: string | null = null;

function liveClient(): Client {
  const key = apiKey.get();
  if (client && clientKey === key) return client;
  void client?.dispose();
  const url = new URL('/graphql', window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  clientKey = key;
  client = createClient({
    url: url.toString(),
    connectionParams: () => (key ? { Authorization: `Bearer ${key}` } : {}),
    retryAttempts: 5,
  });
  return client;
}

/** Calls onEvent for every face registered, updated or deleted in the library; returns the unsubscribe. */
export function followFaceEvents(
  libraryId: string,
  onEvent: (event: FaceEvent) => void,
  onError: (message: string) => void,
): () => void {
  return liveClient().subscribe<UiFaceEventsSubscription>(
    { query: UiFaceEventsDocument.toString(), variables: { libraryId } },
    {
      next: (result) => {
        if (result.data) onEvent(result.data.faceEvents);
        else if (result.errors?.length) onError(result.errors[0].message);
      },
      error: (e) => onError(describeFailure(e)),
      complete: () => undefined,
    },
  );
}

/** graphql-ws reports a closed socket as its CloseEvent, a failed one as an Event, a protocol error as errors. */
function describeFailure(e: unknown): string {
  if (e instanceof CloseEvent) return `the connection closed (${e.code}${e.reason ? `: ${e.reason}` : ''})`;
  if (e instanceof Error) return e.message;
  if (Array.isArray(e) && e[0]?.message) return String(e[0].message);
  return 'the connection to the server failed';
}
