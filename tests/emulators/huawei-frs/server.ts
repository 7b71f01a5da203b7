/**
 * Huawei Cloud FRS (face sets, API v2) emulator: a real HTTP server on 127.0.0.1 with AK/SK and token
 * authentication, a fake IAM token endpoint, inspectable state, a request log and fault injection.
 * See README.md for the conventions and the UNVERIFIED decisions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  Lifecycle,
  answer,
  createClock,
  jsonPayload,
  listen,
  readBody,
  sendPayload,
  splitUrl,
  watchClient,
  type Clock,
  type EmulatorBaseOptions,
} from '../common/http';
import { AkskVerifier, parseQuery, percentDecode, type AkskFailure, type LockoutPolicy } from './aksk';
import { FRS_ERRORS, FrsError, gatewayError } from './errors';
import { FaultController, type FaultSpec, type OperationName } from './faults';
import { IamService, type IamUser } from './iam';
import { newRequestId } from './ids';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './images';
import { FrsService, type OperationInput, type OperationResult, type Quirks } from './service';
import { EmulatorState } from './state';

export interface FrsEmulatorOptions extends EmulatorBaseOptions {
  projectId: string;
  credentials: { accessKeyId: string; secretAccessKey: string }[];
  /** tokens accepted in `X-Auth-Token` for `projectId`, never expiring */
  tokens?: string[];
  /** users that may obtain tokens from `POST /v3/auth/tokens` */
  iamUsers?: IamUser[];
  /** project name accepted in the IAM scope (default "cn-north-4") */
  region?: string;
  /** maximum accepted |emulator clock − X-Sdk-Date| (default 15 min, as documented) */
  clockSkewMs?: number;
  /** account limit of face sets (default 10) */
  maxFaceSets?: number;
  /** lifetime of IAM-issued tokens (default 24 h) */
  tokenTtlMs?: number;
  /** lock an AK after consecutive signature failures (default 5 failures → 5 min); false = never */
  akLockout?: LockoutPolicy | false;
  imageLimits?: Partial<ImageLimits>;
  /** request bodies above this are refused with FRS.0017 (default 12 MiB, the AK/SK gateway limit) */
  maxBodyBytes?: number;
  quirks?: Partial<EmulatorQuirks>;
}

export interface EmulatorQuirks extends Quirks {
  /** an expired IAM token: gateway 401 APIGW.0301 "decrypt token fail" (default) or FRS 403 FRS.0002 */
  expiredToken: 'gateway' | 'frs';
}

export type AuthKind = 'aksk' | 'token' | 'none';

export interface RequestLogEntry {
  requestId: string;
  /** Date.now() when the request arrived (the real clock, not the emulator's), for rate measurements */
  receivedAtMs: number;
  method: string;
  /** raw path without the query */
  path: string;
  query: [string, string][];
  operation: OperationName | 'unknown';
  auth: AuthKind;
  /** false when authentication was attempted and refused */
  authenticated: boolean;
  accessKeyId?: string;
  /** reason of an AK/SK refusal */
  authFailure?: AkskFailure | 'token-unknown' | 'token-expired' | 'no-credentials';
  /** HTTP status sent; null when the connection was dropped or the client went away first */
  status: number | null;
  /** error_code of an error answer */
  errorCode?: string;
  fault?: FaultSpec['kind'];
  /** whether the operation ran (state may have changed) */
  applied: boolean;
}

export interface FrsEmulator {
  endpoint: string;
  iamEndpoint: string;
  projectId: string;
  region: string;
  state: EmulatorState;
  faults: FaultController;
  requests: RequestLogEntry[];
  clock: Clock;
  /** register a token (default: valid for the project, never expiring) and return it */
  issueToken(options?: { token?: string; ttlMs?: number; projectId?: string | null }): string;
  revokeToken(token: string): void;
  resetAkLockouts(): void;
  close(): Promise<void>;
}

interface Route {
  operation: OperationName;
  projectId?: string;
  faceSetName?: string;
}

const JSON_TYPE = 'application/json;charset=UTF-8';

function matchRoute(method: string, rawPath: string): Route | undefined {
  const segments = rawPath.split('/').slice(1).map(percentDecode);
  if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop(); // tolerate one trailing '/'
  const m = method.toUpperCase();
  const [v, projectId, root, name, sub, leaf] = segments;
  if (v === 'v3' && segments.length === 3 && projectId === 'auth' && root === 'tokens')
    return m === 'POST' ? { operation: 'iamToken' } : undefined;
  if (v !== 'v2' || !projectId || root !== 'face-sets') return undefined;
  const at = (operation: OperationName): Route => ({ operation, projectId, faceSetName: name });
  switch (segments.length) {
    case 3:
      return m === 'GET' ? at('listFaceSets') : m === 'POST' ? at('createFaceSet') : undefined;
    case 4:
      if (!name) return undefined;
      return m === 'GET' ? at('getFaceSet') : m === 'DELETE' ? at('deleteFaceSet') : undefined;
    case 5:
      if (!name) return undefined;
      if (sub === 'faces') {
        return m === 'POST'
          ? at('addFaces')
          : m === 'GET'
            ? at('queryFaces')
            : m === 'PUT'
              ? at('updateFace')
              : m === 'DELETE'
                ? at('deleteFaces')
                : undefined;
      }
      if (sub === 'search') return m === 'POST' ? at('searchFaces') : undefined;
      return undefined;
    case 6:
      return name && sub === 'faces' && leaf === 'batch' && m === 'DELETE' ? at('batchDeleteFaces') : undefined;
    default:
      return undefined;
  }
}

function defaultFaultBody(status: number, requestId: string): unknown {
  if (status === 429) return new FrsError('FRS.0033').body;
  if (status === 401) return gatewayError('aksk-signature', requestId).body;
  if (status === 403) return new FrsError('FRS.0002').body;
  if (status === 404) return gatewayError('api-not-found', requestId).body;
  if (status >= 500) return new FrsError('FRS.0018').body;
  return new FrsError('FRS.0012', 'injected fault').body;
}

function errorCodeOf(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && 'error_code' in body)
    return String((body as { error_code: unknown }).error_code);
  return undefined;
}

export async function startFrsEmulator(options: FrsEmulatorOptions): Promise<FrsEmulator> {
  const clock = createClock(options.now);
  const now = clock.now;
  const region = options.region ?? 'cn-north-4';
  const quirks: EmulatorQuirks = {
    unknownFaceIdQuery: 'error',
    undeclaredFields: 'reject',
    expiredToken: 'gateway',
    ...options.quirks,
  };
  const maxBodyBytes = options.maxBodyBytes ?? 12 * 1024 * 1024;

  const state = new EmulatorState();
  const faults = new FaultController();
  const requests: RequestLogEntry[] = [];
  const service = new FrsService(state, {
    maxFaceSets: options.maxFaceSets ?? 10,
    limits: { ...DEFAULT_IMAGE_LIMITS, ...options.imageLimits },
    now,
    quirks,
  });
  const verifier = new AkskVerifier(new Map(options.credentials.map((c) => [c.accessKeyId, c.secretAccessKey])), {
    maxSkewMs: options.clockSkewMs ?? 15 * 60 * 1000,
    now,
    lockout: options.akLockout ?? { maxFailures: 5, lockMs: 5 * 60 * 1000 },
  });
  let endpoint = '';
  const iam = new IamService(options.iamUsers ?? [], {
    projectId: options.projectId,
    region,
    tokenTtlMs: options.tokenTtlMs ?? 24 * 60 * 60 * 1000,
    now,
    frsEndpoint: () => endpoint,
  });
  for (const token of options.tokens ?? []) iam.addToken(token, undefined, options.projectId);

  const lifecycle = new Lifecycle();

  async function execute(route: Route, input: OperationInput): Promise<OperationResult> {
    try {
      switch (route.operation) {
        case 'createFaceSet':
          return service.createFaceSet(input);
        case 'listFaceSets':
          return service.listFaceSets();
        case 'getFaceSet':
          return service.getFaceSet(input);
        case 'deleteFaceSet':
          return service.deleteFaceSet(input);
        case 'addFaces':
          return await service.addFaces(input);
        case 'queryFaces':
          return service.queryFaces(input);
        case 'updateFace':
          return service.updateFace(input);
        case 'deleteFaces':
          return service.deleteFaces(input);
        case 'batchDeleteFaces':
          return service.batchDeleteFaces(input);
        case 'searchFaces':
          return await service.searchFaces(input);
        case 'iamToken':
          return iam.issue(input.body, input.query);
      }
    } catch (e) {
      if (e instanceof FrsError) return { status: e.status, body: e.body };
      return { status: 500, body: new FrsError('FRS.0018').body };
    }
  }

  /** Authentication + project checks. Returns an error answer, or undefined when the request may proceed. */
  function authenticate(
    req: IncomingMessage,
    route: Route,
    body: Buffer,
    log: RequestLogEntry,
    requestId: string,
  ): OperationResult | undefined {
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(',') : v;
    };
    const token = header('x-auth-token');
    const authorization = header('authorization');
    let tokenProject: string | undefined | null = null; // null = not token auth
    if (token !== undefined && token !== '') {
      log.auth = 'token';
      const record = iam.lookup(token.trim());
      if (!record) {
        log.authenticated = false;
        log.authFailure = 'token-unknown';
        return gatewayError('token-invalid', requestId);
      }
      if (record.expiresAt <= now()) {
        log.authenticated = false;
        log.authFailure = 'token-expired';
        if (quirks.expiredToken === 'frs') {
          const e = new FrsError('FRS.0002');
          return { status: e.status, body: e.body };
        }
        return gatewayError('token-invalid', requestId);
      }
      tokenProject = record.projectId;
    } else if (authorization !== undefined && authorization !== '') {
      log.auth = 'aksk';
      const result = verifier.verify(
        { method: req.method ?? 'GET', rawUrl: req.url ?? '/', headers: req.headers, body },
        authorization,
      );
      log.accessKeyId = result.accessKeyId;
      if (!result.ok) {
        log.authenticated = false;
        log.authFailure = result.reason;
        if (result.reason === 'unknown-ak') return gatewayError('aksk-unknown-ak', requestId, result.accessKeyId);
        if (result.reason === 'ak-locked') return gatewayError('aksk-locked', requestId);
        return gatewayError('aksk-signature', requestId);
      }
    } else {
      log.authenticated = false;
      log.authFailure = 'no-credentials';
      return gatewayError('no-credentials', requestId);
    }

    const headerProject = header('x-project-id')?.trim();
    const mismatch =
      route.projectId !== options.projectId ||
      (headerProject !== undefined && headerProject !== '' && headerProject !== route.projectId) ||
      (tokenProject !== null && tokenProject !== route.projectId);
    if (mismatch) {
      const e = new FrsError('FRS.0028');
      return { status: e.status, body: e.body };
    }
    return undefined;
  }

  function send(res: ServerResponse, result: OperationResult, log: RequestLogEntry): void {
    if (!sendPayload(res, result.status, jsonPayload(result.body), JSON_TYPE, result.headers)) return;
    log.status = result.status;
    log.errorCode = errorCodeOf(result.body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    res.setHeader('X-Request-Id', requestId);
    const clientGone = watchClient(res);
    const { rawPath, rawQuery } = splitUrl(req.url ?? '/');
    const query = parseQuery(rawQuery);
    const method = (req.method ?? 'GET').toUpperCase();
    const log: RequestLogEntry = {
      requestId,
      receivedAtMs: Date.now(),
      method,
      path: rawPath,
      query,
      operation: 'unknown',
      auth: 'none',
      authenticated: true,
      status: null,
      applied: false,
    };
    requests.push(log);

    const { body, size } = await readBody(req, maxBodyBytes);
    const route = matchRoute(method, rawPath);
    if (!route) return send(res, gatewayError('api-not-found', requestId), log);
    log.operation = route.operation;
    if (size > maxBodyBytes) {
      const e = new FrsError('FRS.0017', `${Math.floor(maxBodyBytes / (1024 * 1024))}MB`);
      return send(res, { status: e.status, body: e.body }, log);
    }
    if (route.operation !== 'iamToken') {
      const refusal = authenticate(req, route, body, log, requestId);
      if (refusal) return send(res, refusal, log);
    }

    const input: OperationInput = {
      faceSetName: route.faceSetName,
      query,
      contentType: req.headers['content-type'],
      body,
    };
    return answer(faults.take(route.operation), {
      req,
      log,
      lifecycle,
      clientGone,
      execute: () => execute(route, input),
      send: (result: OperationResult) => send(res, result, log),
      status: (fault) => ({
        status: fault.status,
        body: fault.body ?? defaultFaultBody(fault.status, requestId),
        headers: fault.headers,
      }),
      malformed: () => send(res, { status: 200, body: '{"face_set_info":{"face_set_name":"trunc' }, log),
    });
  }

  const server = await listen(options, lifecycle, handle, () => ({
    status: FRS_ERRORS['FRS.0018'].status,
    body: new FrsError('FRS.0018').body,
    contentType: JSON_TYPE,
  }));
  endpoint = server.endpoint;

  return {
    endpoint,
    iamEndpoint: endpoint,
    projectId: options.projectId,
    region,
    state,
    faults,
    requests,
    clock,
    issueToken(opts = {}) {
      const token = opts.token ?? `emulator-token-${newRequestId()}`;
      const project = opts.projectId === null ? undefined : (opts.projectId ?? options.projectId);
      iam.addToken(token, opts.ttlMs, project);
      return token;
    },
    revokeToken(token: string) {
      iam.revoke(token);
    },
    resetAkLockouts() {
      verifier.resetLockouts();
    },
    close: server.close,
  };
}
