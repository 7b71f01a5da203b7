import type { Scope } from '../../domain/access';
import type { ImageLimits, UrlFetchPolicy } from '../../datasources/images/image';
import type { OssStagingOptions } from '../../datasources/vendors/alibaba-mts/oss-staging';

// The validated configuration. The file format (YAML or JSON from FACEGRAPH_CONFIG) is described in
// the README and in the header of the schema contract; loadConfig() fills every default.

export interface LocalProviderConfig {
  id: string;
  kind: 'LOCAL';
}

export interface HuaweiFrsProviderConfig {
  id: string;
  kind: 'HUAWEI_FRS';
  region: string;
  projectId: string;
  endpoint?: string;
  iamEndpoint?: string;
  credentials:
    | { accessKeyId: string; secretAccessKey: string }
    | { token: string }
    | { username: string; password: string; domainName: string };
  rateLimitPerSecond?: number;
  /** Per attempt of an outbound call, in ms. */
  timeoutMs?: number;
}

export interface AzureFaceProviderConfig {
  id: string;
  kind: 'AZURE_FACE';
  endpoint: string;
  credentials: { subscriptionKey: string };
  rateLimitPerSecond?: number;
  /** Per attempt of an outbound call, in ms. */
  timeoutMs?: number;
}

export interface AlibabaMtsProviderConfig {
  id: string;
  kind: 'ALIBABA_MTS';
  region: string;
  endpoint?: string;
  credentials: { accessKeyId: string; accessKeySecret: string };
  /** V3 ACS3-HMAC-SHA256 (default, what the current SDK sends) or V1 HMAC-SHA1. */
  signatureVersion?: 'V3' | 'V1';
  /** Where base64 images are put for MTS to download; without it MTS takes image URLs only. */
  imageStaging?: OssStagingConfig;
  rateLimitPerSecond?: number;
  /** Per attempt of an outbound call, in ms. */
  timeoutMs?: number;
}

/** An OSS bucket the gateway writes base64 images to, handing MTS a short-lived signed GET URL. */
export type OssStagingConfig = OssStagingOptions;

export type ProviderConfig =
  LocalProviderConfig | HuaweiFrsProviderConfig | AzureFaceProviderConfig | AlibabaMtsProviderConfig;

/** What one GraphQL request may ask for; a request over any of them is refused before anything executes. */
export interface RequestLimits {
  /** Levels of nested selections (fragments add none). */
  maxDepth: number;
  maxAliases: number;
  /** Lexical tokens in the query document (variables not included). */
  maxTokens: number;
  maxDirectives: number;
  /**
   * Estimated values in the answer: each field counts 1, a list field's count is multiplied by its
   * first/last (or the number of _entities representations).
   */
  maxCost: number;
  /** registerFace and searchFaces fields together. */
  expensiveFieldsPerRequest: number;
  /** Requests per minute per credential (per client address when anonymous). */
  requestsPerMinute: number;
  /**
   * GETs of Face.imageUrl links per minute per caller (the client address: an <img> sends no credential), counted
   * apart from requestsPerMinute: one page of faces loads dozens of thumbnails at once.
   */
  imageRequestsPerMinute: number;
  /** ImageInput values with a url, each a download. */
  imageUrlFetchesPerRequest: number;
}

export interface FacegraphConfig {
  server: {
    port: number;
    host: string;
    /** Serve GraphiQL on GET /graphql for browsers (default: on, off with NODE_ENV=production). */
    graphiql: boolean;
    /** Serve the library browser at GET /ui (default: on, off with NODE_ENV=production). */
    ui: boolean;
    /** Answer introspection queries (default: on, off with NODE_ENV=production; field suggestions follow it). */
    introspection: boolean;
    /** Where clients reach this server (behind a router or proxy): its host is allowed, and image URLs use it. */
    publicUrl?: string;
    /**
     * Host header values (names or addresses, no port) this server answers; default: loopback names and
     * publicUrl's.
     */
    allowedHosts?: string[];
    /** Browser origins allowed to call /graphql; none by default (no CORS headers). */
    cors: { origins: string[] };
    /**
     * Memory for whole answers to read queries, kept while the ledger is unchanged (response-cache.ts);
     * 0 turns it off. Default 32 MiB.
     */
    responseCacheBytes: number;
  };
  ledger: {
    /** "sqlite:<path>" (relative paths from the working directory) or "postgres://...". */
    url: string;
    /** PostgreSQL: connections the pool opens at most, per replica. Default 10. */
    poolSize: number;
  };
  /** Where the LOCAL provider keeps image files. */
  dataDir: string;
  images: ImageLimits & { urlFetch: UrlFetchPolicy } & FaceImageSettings;
  limits: RequestLimits;
  audit: { retentionDays: number };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  /** The LOCAL provider's face detection workers; one when not set (see defaultWorkerCount). */
  faceEngine: { workers?: number; maxQueue?: number };
  providers: ProviderConfig[];
  /** Prometheus metrics at GET /metrics (default on). */
  metrics: { enabled: boolean };
  tracing: TracingConfig;
  /** Absent: local development on loopback (everything allowed), refused at start on any other address. */
  auth?: AuthConfig;
  /** Absent: each replica keeps its own rate limits. */
  redis?: RedisConfig;
}

/** What the gateway keeps of registered images, and how Face.imageUrl links to them (README "Face images"). */
export interface FaceImageSettings {
  /** For cloud providers: a 256 px JPEG (default), the image as sent, or nothing (imageUrl is then null). */
  keep: 'thumbnail' | 'full' | 'none';
  /** How long a signed image URL is valid. Default 300. */
  urlTtlSeconds: number;
  /** The HMAC key of image URLs (a secret, at least 32 characters); absent: one generated and kept in the ledger. */
  urlSigningKey?: string;
  /** Memory for rendered thumbnails, per replica; 0 turns the cache off. Default 16 MiB. */
  thumbnailCacheBytes: number;
}

/** Where replicas share vendor rate limits and per-credential rate limits. */
export interface RedisConfig {
  /** redis://[[user]:password@]host[:port][/db] or rediss:// for TLS. */
  url: string;
  /** Put before every key this server writes, so deployments can share one Redis. Default `facegraph:`. */
  prefix: string;
}

export interface AuthConfig {
  /** Provisioned keys, as the SHA-256 hex of their secret. */
  keys: { id: string; sha256: string; scopes: Scope[]; providers?: string[]; name?: string }[];
  jwt?: { jwksUrl?: string; publicKeyPem?: string; issuer: string; audience: string };
  routerSecret?: string;
  /** An explicit opt-out (e.g. behind a router that authenticates): every request allowed. */
  mode?: 'none';
}

/** OpenTelemetry traces: off unless enabled. */
export interface TracingConfig {
  enabled: boolean;
  /** The service.name resource attribute. */
  serviceName: string;
  /** otlp needs @opentelemetry/exporter-trace-otlp-http installed; memory keeps spans for tests. */
  exporter: 'otlp' | 'console' | 'memory';
  /** The OTLP/HTTP traces endpoint of a collector. */
  otlpUrl: string;
}
