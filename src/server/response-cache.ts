import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { BREAK, visit, type DocumentNode, type FormattedExecutionResult } from 'graphql';
import type { LedgerStore } from '../datasources/ledger/ledger-store';
import { rootFieldsOf } from './root-fields';

// Whole answers to read queries, kept while the ledger is unchanged.
//
// Every query field but searchFaces is answered from the ledger and the static provider config (design.md:
// "reads are answered from the ledger"), so an answer stays right exactly as long as the ledger does. The
// ledger's change version moves with every write through this process and every commit by another connection
// to the same file, so a hit can never show data older than the last write: a mutation's own answer is sent
// after its ledger write, and any later read sees the new version. One version covers the whole ledger, so the
// first read after any write starts the cache afresh: the cache helps read-mostly traffic (pages polled by
// front ends, the same library opened again) and costs a version check per query otherwise.

/**
 * Never cached: searchFaces (not from the ledger), viewer (differs per credential), apiKeys and auditLog (key use
 * times and audit rows are written without moving the ledger's change version), imageUrl (a signed link expires
 * while the ledger stays the same).
 */
export const UNCACHEABLE_FIELDS: ReadonlySet<string> = new Set([
  'searchFaces',
  'viewer',
  'apiKeys',
  'auditLog',
  'imageUrl',
]);
/** Longer variables are not worth a key (a query with an image in its variables is searchFaces anyway). */
const MAX_VARIABLES_LENGTH = 4096;
/** Deeper variables are not worth a key either; the bound also keeps JSON.stringify far from the stack limit. */
const MAX_VARIABLES_DEPTH = 32;
export const CACHE_HEADER = 'x-facegraph-cache';

/** The HTTP answer as Apollo sent it, so a later request can be answered before the GraphQL pipeline. */
export interface CachedHttpAnswer {
  body: Buffer;
  contentType: string;
  etag: string | null;
}

export interface CachedAnswer {
  version: string;
  result: FormattedExecutionResult;
  bytes: number;
  /** The operation's name and root fields, for the log line and the metrics of an answer served from here. */
  operationName: string | null;
  rootFields: string[];
  /** Set once the answer has gone out over HTTP (see cache-hits.ts). */
  http: CachedHttpAnswer | null;
}

/**
 * A read the pre-pipeline hit path (cache-hits.ts) keyed and looked up already: the plugin stores its answer under
 * that key and the version read then, and does not look it up again.
 */
export interface PreparedRead {
  key: string;
  version: string;
  noCache: boolean;
}

/** A least-recently-used map of answers, bounded by the length of their JSON. */
export class ResponseCache {
  private readonly entries = new Map<string, CachedAnswer>();
  private totalBytes = 0;
  private version: string | null = null;

  constructor(readonly maxBytes: number) {}

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** The answer stored for `key` under `version`; a new version empties the cache first. */
  get(key: string, version: string): FormattedExecutionResult | undefined {
    return this.lookup(key, version)?.result;
  }

  /** As get, with what is kept beside the answer. */
  lookup(key: string, version: string): CachedAnswer | undefined {
    this.observe(version);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  /** Stores an answer computed while the ledger was at `version` (dropped if the ledger has moved on since). */
  set(
    key: string,
    version: string,
    result: FormattedExecutionResult,
    about: Pick<CachedAnswer, 'operationName' | 'rootFields'> = { operationName: null, rootFields: [] },
  ): void {
    if (version !== this.version) return;
    const bytes = key.length + JSON.stringify(result).length;
    if (bytes > this.maxBytes / 4) return;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.totalBytes -= old.bytes;
    }
    this.entries.set(key, { version, result, bytes, ...about, http: null });
    this.totalBytes += bytes;
    this.evict();
  }

  /** Keeps the bytes Apollo sent for the answer stored under `key` at `version`, if it is still there. */
  attachHttp(key: string, version: string, http: CachedHttpAnswer): void {
    const entry = this.entries.get(key);
    if (!entry || entry.version !== version || entry.http !== null) return;
    // A second copy of the answer: it counts in the bound too.
    entry.http = http;
    entry.bytes += http.body.length;
    this.totalBytes += http.body.length;
    this.evict();
  }

  private evict(): void {
    for (const [oldest, entry] of this.entries) {
      if (this.totalBytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.totalBytes -= entry.bytes;
    }
  }

  /** The ledger is at `version` now: answers of any other version are gone. */
  observe(version: string): void {
    if (version === this.version) return;
    this.version = version;
    this.entries.clear();
    this.totalBytes = 0;
  }
}

/**
 * Answers repeated read queries from a ResponseCache; `x-facegraph-cache: hit | miss | bypass` says which it was
 * (no header: the operation is never cached).
 */
export function responseCachePlugin<TContext extends object>(
  ledger: LedgerStore,
  cache: ResponseCache,
  /** What the caller may see (scopes and providers): answers are never shared across different ones. */
  partitionOf: (context: TContext) => string = () => '',
  /** The read cache-hits.ts keyed and missed already, if it did. */
  preparedOf: (context: TContext) => PreparedRead | undefined = () => undefined,
): ApolloServerPlugin<TContext> {
  const cacheable = new WeakMap<DocumentNode, boolean>();

  /** Whether the operation's document reads only the ledger (no searchFaces anywhere in it). */
  const isCacheable = (document: DocumentNode): boolean => {
    let known = cacheable.get(document);
    if (known === undefined) {
      known = true;
      visit(document, {
        Field(node) {
          if (!UNCACHEABLE_FIELDS.has(node.name.value)) return undefined;
          known = false;
          return BREAK;
        },
      });
      cacheable.set(document, known);
    }
    return known;
  };

  return {
    async requestDidStart() {
      let key: string | null = null;
      let version: string | null = null;
      let outcome: 'miss' | 'bypass' | null = null;
      return {
        async responseForOperation(ctx) {
          // Apollo's types say otherwise, but an operationName the document lacks leaves `operation` unset here;
          // Apollo answers that 400 itself once no plugin has answered.
          const operation = ctx.operation as typeof ctx.operation | undefined;
          if (operation?.operation !== 'query' || !isCacheable(ctx.document)) return null;
          const http = ctx.request.http;
          // A federation gateway asking for a trace gets one per execution.
          if (http?.headers.get('apollo-federation-include-trace')) return null;
          // As in HTTP: no-cache asks for a fresh answer (which is then kept), no-store for one that is not kept.
          const directives = http?.headers.get('cache-control') ?? '';
          if (/\bno-store\b/i.test(directives)) {
            outcome = 'bypass';
            return null;
          }
          const variables = variablesKey(ctx.request.variables ?? {});
          if (variables === null) return null;
          const prepared = preparedOf(ctx.contextValue);
          if (prepared) {
            // Looked up before the pipeline (a miss, or no-cache): only the answer is left to keep.
            key = prepared.key;
            version = prepared.version;
            outcome = prepared.noCache ? 'bypass' : 'miss';
            return null;
          }
          const partition = partitionOf(ctx.contextValue);
          key = `${partition}\u0000${ctx.queryHash}\u0000${ctx.operationName ?? ''}\u0000${variables}`;
          version = await ledger.changeVersion();
          if (/\bno-cache\b/i.test(directives)) {
            cache.observe(version);
            outcome = 'bypass';
            return null;
          }
          const hit = cache.lookup(key, version);
          if (!hit) {
            outcome = 'miss';
            return null;
          }
          key = null;
          const headers = new HeaderMap([[CACHE_HEADER, 'hit']]);
          return { http: { status: undefined, headers }, body: { kind: 'single', singleResult: hit.result } };
        },
        async willSendResponse(ctx: GraphQLRequestContextWillSendResponse<TContext>) {
          if (outcome) ctx.response.http.headers.set(CACHE_HEADER, outcome);
          if (key === null || version === null) return;
          const { body } = ctx.response;
          // Only whole, error-free answers: an error may be passing (a vendor, a timeout) and is not the ledger's.
          if (body.kind !== 'single' || body.singleResult.errors || body.singleResult.extensions) return;
          const operation = ctx.operation as typeof ctx.operation | undefined;
          if (!operation || !ctx.document) return;
          const rootFields = rootFieldsOf(operation, ctx.document, ctx.schema).map((f) => f.name);
          cache.set(key, version, body.singleResult, { operationName: ctx.operationName ?? null, rootFields });
        },
      };
    },
  };
}

/** The variables as part of a cache key, or null when they are too long or too deep to be worth one. */
export function variablesKey(variables: Record<string, unknown>): string | null {
  // Every value costs at least one character of JSON: counting values bounds the walk by the length limit.
  let valuesLeft = MAX_VARIABLES_LENGTH;
  const isSmall = (value: unknown, depthLeft: number): boolean => {
    if (--valuesLeft < 0) return false;
    if (value === null || typeof value !== 'object') return true;
    if (depthLeft === 0) return false;
    return Object.values(value).every((member) => isSmall(member, depthLeft - 1));
  };
  if (!isSmall(variables, MAX_VARIABLES_DEPTH)) return null;
  const json = JSON.stringify(variables);
  return json.length > MAX_VARIABLES_LENGTH ? null : json;
}
