import { randomUUID } from 'node:crypto';
import { currentActor } from '../datasources/ledger/audit-scope';
import { faceId, libraryId } from '../domain/global-id';
import type { FaceRecord } from '../domain/model';

// Face changes as events (the faceEvents subscription): published by the services right after the ledger commit
// of each register, update and delete, so that in one process they come out in commit order. With Redis, every
// event is also relayed to the other replicas, whose subscribers see it too; the relay never holds up a write.

export type FaceEventKind = 'REGISTERED' | 'UPDATED' | 'DELETED';

export interface FaceEvent {
  kind: FaceEventKind;
  /** Global ids. */
  faceId: string;
  libraryId: string;
  providerId: string;
  /** The face as committed; null once deleted. */
  face: FaceRecord | null;
  /** As the audit log names the caller: API key id, `jwt:<sub>`, or `anonymous`. */
  actor: string;
  at: Date;
}

/** How events reach the other replicas (Redis pub/sub): fire and forget, in publication order. */
export interface FaceEventRelay {
  publish(message: string): Promise<void>;
  listen(onMessage: (message: string) => void): void;
}

/** A subscriber this many events behind is ended, rather than let it hold the server's memory. */
export const MAX_QUEUED_EVENTS_PER_SUBSCRIBER = 1000;

/** Written when a change is made outside any audited operation (none today; a maintenance task would be one). */
const SYSTEM_ACTOR = 'system';

type Listener = (event: FaceEvent) => void;

export class FaceEvents {
  private readonly listeners = new Set<Listener>();
  private readonly closers = new Set<() => void>();
  /** This replica's events come back from Redis too: they carry this to be told apart. */
  private readonly origin = randomUUID();
  private relay: FaceEventRelay | null = null;

  constructor(private readonly onRelayFailure: (error: unknown) => void = () => undefined) {}

  relayThrough(relay: FaceEventRelay): void {
    this.relay = relay;
    relay.listen((message) => this.receive(message));
  }

  /** Subscriptions open in this replica now. */
  get subscriberCount(): number {
    return this.listeners.size;
  }

  registered(face: FaceRecord): void {
    this.publish('REGISTERED', face, face);
  }

  updated(face: FaceRecord): void {
    this.publish('UPDATED', face, face);
  }

  deleted(faces: readonly FaceRecord[]): void {
    for (const face of faces) this.publish('DELETED', face, null);
  }

  /**
   * The events `accept` lets through, from now on, as an async iterator (what a GraphQL subscription resolver
   * returns). Ending the iteration (return) unsubscribes.
   */
  subscribe(accept: (event: FaceEvent) => boolean): AsyncIterableIterator<FaceEvent> {
    const queue: FaceEvent[] = [];
    let waiting: ((result: IteratorResult<FaceEvent>) => void) | null = null;
    let ended = false;
    const end = () => {
      ended = true;
      this.listeners.delete(listener);
      this.closers.delete(end);
      waiting?.({ value: undefined, done: true });
      waiting = null;
    };
    const listener: Listener = (event) => {
      if (!accept(event)) return;
      if (waiting) {
        const deliver = waiting;
        waiting = null;
        deliver({ value: event, done: false });
      } else if (queue.length >= MAX_QUEUED_EVENTS_PER_SUBSCRIBER) {
        end();
      } else {
        queue.push(event);
      }
    };
    this.listeners.add(listener);
    this.closers.add(end);
    return {
      next: () => {
        if (queue.length > 0) return Promise.resolve({ value: queue.shift()!, done: false });
        if (ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          waiting = resolve;
        });
      },
      return: () => {
        end();
        queue.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
      throw: (error: unknown) => {
        end();
        return Promise.reject(error);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** Ends every subscription (shutdown). */
  close(): void {
    for (const end of [...this.closers]) end();
  }

  private publish(kind: FaceEventKind, record: FaceRecord, face: FaceRecord | null): void {
    const event: FaceEvent = {
      kind,
      faceId: faceId(record.providerId, record.libraryName, record.vendorFaceId),
      libraryId: libraryId(record.providerId, record.libraryName),
      providerId: record.providerId,
      face,
      actor: currentActor() ?? SYSTEM_ACTOR,
      at: new Date(),
    };
    this.deliver(event);
    this.relay?.publish(JSON.stringify({ origin: this.origin, event })).catch(this.onRelayFailure);
  }

  private receive(message: string): void {
    let parsed: { origin?: unknown; event?: FaceEvent };
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (parsed.origin === this.origin || !parsed.event) return;
    const event = parsed.event;
    event.at = new Date(event.at);
    if (event.face) {
      event.face.createdAt = new Date(event.face.createdAt);
      event.face.updatedAt = new Date(event.face.updatedAt);
    }
    this.deliver(event);
  }

  private deliver(event: FaceEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
