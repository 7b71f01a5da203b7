/**
 * Azure AI Face (v1.0) person-group emulator: a real HTTP server on 127.0.0.1 with subscription-key
 * authentication, inspectable state, a request log and fault injection.
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
import {
  AzureError,
  QUOTA_BODY,
  internalError,
  rateLimited,
  resourceNotFound,
  serviceUnavailable,
  unauthorized,
  type GroupKind,
} from './errors';
import { FaultController, type FaultRule, type FaultSpec, type OperationName } from './faults';
import { newGuid } from './ids';
import { FaceService, TIER_LIMITS, type OperationInput, type OperationResult, type Tier } from './service';
import { EmulatorState } from './state';

export interface AzureFaceEmulatorOptions extends EmulatorBaseOptions {
  /** accepted `Ocp-Apim-Subscription-Key` values */
  subscriptionKeys: string[];
  /**
   * Limited Access approval; false → identify (and detect with returnFaceId=true) answer 403 UnsupportedFeature
   * (default true)
   */
  identifyAllowed?: boolean;
  /** how long a training stays "running" (default 50 ms) */
  trainingMs?: number;
  /** per-tier quotas of notes §2.3 (default 'S0') */
  tier?: Tier;
  /**
   * With `identifyAllowed: false`, also refuse `detect` with returnFaceId=true (default true: the notes
   * §10 show exactly that refusal for detect; false = only identify is refused).
   */
  limitedAccessGatesDetect?: boolean;
  /** identify threshold when the request has none (default 0.7 — an emulator choice, see README) */
  defaultConfidenceThreshold?: number;
}

export interface RequestLogEntry {
  /** the `apim-request-id` sent back */
  requestId: string;
  method: string;
  /** raw path without the query */
  path: string;
  query: string;
  operation: OperationName | 'unknown';
  groupKind?: GroupKind;
  /** false when the subscription key was missing or wrong */
  authenticated: boolean;
  /** HTTP status sent; null when the connection was dropped or the client went away first */
  status: number | null;
  /** `error.code` (or `error.innererror.code`, or the numeric statusCode) of an error answer */
  errorCode?: string;
  fault?: FaultSpec['kind'];
  /** whether the operation ran (state may have changed) */
  applied: boolean;
}

export interface AzureFaceEmulator {
  /** http://127.0.0.1:PORT — API paths are /face/v1.0/... */
  endpoint: string;
  state: EmulatorState;
  faults: FaultController;
  requests: RequestLogEntry[];
  /** what `{ "url": ... }` bodies can "download": bytes by exact URL (not cleared by state.reset()) */
  images: Map<string, Buffer>;
  clock: Clock;
  close(): Promise<void>;
}

interface Route {
  operation: OperationName;
  kind?: GroupKind;
  groupId?: string;
  personId?: string;
  persistedFaceId?: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const MAX_BODY_BYTES = 16 * 1024 * 1024;

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Route table of notes §3–§5 (+ detect/identify). Literal segments match case-insensitively (§1.1). */
function matchRoute(method: string, rawPath: string): Route | undefined {
  const segments = rawPath.split('/').slice(1).map(decodeSegment);
  if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop(); // tolerate one trailing '/'
  const lit = (i: number): string => (segments[i] ?? '').toLowerCase();
  if (lit(0) !== 'face' || lit(1) !== 'v1.0') return undefined;
  const rest = segments.slice(2);
  const m = method.toUpperCase();
  if (rest.length === 1 && lit(2) === 'detect') return m === 'POST' ? { operation: 'detect' } : undefined;
  if (rest.length === 1 && lit(2) === 'identify') return m === 'POST' ? { operation: 'identify' } : undefined;
  const kind: GroupKind | undefined =
    lit(2) === 'persongroups' ? 'PersonGroup' : lit(2) === 'largepersongroups' ? 'LargePersonGroup' : undefined;
  if (!kind) return undefined;
  const [, groupId, sub, personId, faces, persistedFaceId] = rest;
  const at = (operation: OperationName): Route => ({ operation, kind, groupId, personId, persistedFaceId });
  if (rest.length === 1) return m === 'GET' ? at('listGroups') : undefined;
  if (!groupId) return undefined;
  if (rest.length === 2) {
    return m === 'PUT'
      ? at('createGroup')
      : m === 'GET'
        ? at('getGroup')
        : m === 'PATCH'
          ? at('updateGroup')
          : m === 'DELETE'
            ? at('deleteGroup')
            : undefined;
  }
  const subName = lit(4);
  if (rest.length === 3) {
    if (subName === 'train') return m === 'POST' ? at('train') : undefined;
    if (subName === 'training') return m === 'GET' ? at('getTraining') : undefined;
    if (subName === 'persons') return m === 'POST' ? at('createPerson') : m === 'GET' ? at('listPersons') : undefined;
    return undefined;
  }
  if (subName !== 'persons' || !personId || sub === undefined) return undefined;
  if (rest.length === 4) {
    return m === 'GET'
      ? at('getPerson')
      : m === 'PATCH'
        ? at('updatePerson')
        : m === 'DELETE'
          ? at('deletePerson')
          : undefined;
  }
  if (lit(6) !== 'persistedfaces' || faces === undefined) return undefined;
  if (rest.length === 5) return m === 'POST' ? at('addFace') : undefined;
  if (rest.length === 6 && persistedFaceId) {
    return m === 'GET'
      ? at('getFace')
      : m === 'PATCH'
        ? at('updateFace')
        : m === 'DELETE'
          ? at('deleteFace')
          : undefined;
  }
  return undefined;
}

function parseQuery(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = decodeSegment((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' ')).toLowerCase();
    const v = eq < 0 ? '' : decodeSegment(part.slice(eq + 1).replace(/\+/g, ' '));
    if (!out.has(k)) out.set(k, v);
  }
  return out;
}

function defaultFaultResult(fault: Extract<FaultSpec, { kind: 'status' }>): OperationResult {
  const status = fault.status;
  const custom = fault.headers ?? {};
  if (status === 429) {
    const given = Object.entries(custom).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
    const seconds = given !== undefined && /^\d+$/.test(given) ? Number(given) : 1;
    const e = rateLimited(seconds);
    // the default body comes with a matching Retry-After; a custom body gets only the headers given
    if (fault.body !== undefined) return { status, body: fault.body, headers: custom };
    return { status, body: e.body, headers: { ...e.headers, ...custom } };
  }
  let body: unknown;
  if (status === 401) body = unauthorized().body;
  else if (status === 403) body = QUOTA_BODY;
  else if (status === 404) body = resourceNotFound().body;
  else if (status === 500) body = internalError().body;
  else if (status >= 500) body = serviceUnavailable().body;
  else if (status >= 400) body = { error: { code: 'BadArgument', message: 'Request body is invalid.' } };
  return { status, body: fault.body ?? body, headers: custom };
}

function errorCodeOf(status: number, body: unknown): string | undefined {
  if (status < 400 || typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: { code?: unknown; statusCode?: unknown; innererror?: { code?: unknown } } }).error;
  const code = error?.innererror?.code ?? error?.code ?? error?.statusCode;
  return code === undefined ? undefined : String(code);
}

export async function startAzureFaceEmulator(options: AzureFaceEmulatorOptions): Promise<AzureFaceEmulator> {
  const clock = createClock(options.now);
  const now = clock.now;
  const keys = new Set(options.subscriptionKeys);
  const state = new EmulatorState(now);
  const faults = new FaultController();
  const requests: RequestLogEntry[] = [];
  const images = new Map<string, Buffer>();
  const service = new FaceService(state, {
    limits: TIER_LIMITS[options.tier ?? 'S0'],
    trainingMs: options.trainingMs ?? 50,
    identifyAllowed: options.identifyAllowed ?? true,
    limitedAccessGatesDetect: options.limitedAccessGatesDetect ?? true,
    defaultConfidenceThreshold: options.defaultConfidenceThreshold ?? 0.7,
    now,
    images,
  });

  const lifecycle = new Lifecycle();

  async function execute(route: Route, input: OperationInput): Promise<OperationResult> {
    try {
      switch (route.operation) {
        case 'createGroup':
          return service.createGroup(input);
        case 'getGroup':
          return service.getGroup(input);
        case 'listGroups':
          return service.listGroups(input);
        case 'updateGroup':
          return service.updateGroup(input);
        case 'deleteGroup':
          return service.deleteGroup(input);
        case 'createPerson':
          return service.createPerson(input);
        case 'getPerson':
          return service.getPerson(input);
        case 'listPersons':
          return service.listPersons(input);
        case 'updatePerson':
          return service.updatePerson(input);
        case 'deletePerson':
          return service.deletePerson(input);
        case 'addFace':
          return await service.addFace(input);
        case 'getFace':
          return service.getFace(input);
        case 'updateFace':
          return service.updateFace(input);
        case 'deleteFace':
          return service.deleteFace(input);
        case 'train':
          return service.train(input);
        case 'getTraining':
          return service.getTraining(input);
        case 'detect':
          return await service.detect(input);
        case 'identify':
          return service.identify(input);
      }
    } catch (e) {
      if (e instanceof AzureError) return { status: e.status, body: e.body, headers: e.headers };
      const err = internalError();
      return { status: err.status, body: err.body };
    }
  }

  function send(res: ServerResponse, result: OperationResult, log: RequestLogEntry): void {
    if (!sendPayload(res, result.status, jsonPayload(result.body), JSON_TYPE, result.headers)) return;
    log.status = result.status;
    log.errorCode = errorCodeOf(result.status, result.body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newGuid();
    res.setHeader('apim-request-id', requestId);
    const clientGone = watchClient(res);
    const { rawPath, rawQuery } = splitUrl(req.url ?? '/');
    const method = (req.method ?? 'GET').toUpperCase();
    const log: RequestLogEntry = {
      requestId,
      method,
      path: rawPath,
      query: rawQuery,
      operation: 'unknown',
      authenticated: true,
      status: null,
      applied: false,
    };
    requests.push(log);

    const { body, size } = await readBody(req, MAX_BODY_BYTES);
    const route = matchRoute(method, rawPath);
    if (route) {
      log.operation = route.operation;
      if (route.kind) log.groupKind = route.kind;
    }
    const keyHeader = req.headers['ocp-apim-subscription-key'];
    const key = Array.isArray(keyHeader) ? keyHeader[0] : keyHeader;
    if (key === undefined || !keys.has(key)) {
      log.authenticated = false;
      const e = unauthorized();
      return send(res, { status: e.status, body: e.body }, log);
    }
    if (!route) {
      const e = resourceNotFound();
      return send(res, { status: e.status, body: e.body }, log);
    }

    const input: OperationInput = {
      kind: route.kind,
      groupId: route.groupId,
      personId: route.personId,
      persistedFaceId: route.persistedFaceId,
      query: parseQuery(rawQuery),
      contentType: req.headers['content-type'],
      // an oversized upload is cut at MAX_BODY_BYTES; it is still far above the 6 MB image limit
      body: size > MAX_BODY_BYTES ? Buffer.concat([body, Buffer.alloc(1)]) : body,
    };
    return answer(faults.take(route.operation), {
      req,
      log,
      lifecycle,
      clientGone,
      execute: () => execute(route, input),
      send: (result: OperationResult) => send(res, result, log),
      status: defaultFaultResult,
      malformed: () =>
        send(
          res,
          { status: 200, body: '[{"personId":"25985303-c537-4467-b41d-bd', headers: { 'Content-Type': JSON_TYPE } },
          log,
        ),
    });
  }

  const server = await listen(options, lifecycle, handle, () => {
    const e = internalError();
    return { status: e.status, body: e.body, contentType: JSON_TYPE };
  });

  return {
    endpoint: server.endpoint,
    state,
    faults,
    requests,
    images,
    clock,
    close: server.close,
  };
}

export type { FaultRule };
