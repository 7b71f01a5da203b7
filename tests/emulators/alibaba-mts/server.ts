/**
 * Alibaba Cloud MTS (API 2014-06-18) custom face library emulator: a real HTTP server on 127.0.0.1 that
 * speaks the POP RPC protocol (one endpoint, `Action` + version, parameters in the query and/or a form
 * body), verifies V1 HMAC-SHA1 and V3 ACS3-HMAC-SHA256 signatures, and keeps inspectable state, a request
 * log and fault injection. See README.md for the conventions and the UNVERIFIED decisions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  Lifecycle,
  answer,
  createClock,
  listen,
  readBody,
  sendPayload,
  splitUrl,
  watchClient,
  type Clock,
  type EmulatorBaseOptions,
} from '../common/http';
import { RpcVerifier, parsePairs, type AuthFailure, type SignatureVersion } from './auth';
import { DEFAULT_MESSAGES, Errors, MtsError, defaultFaultCode, errorBody, type ErrorBody } from './errors';
import { FaultController, OPERATION_NAMES, type FaultSpec, type OperationName } from './faults';
import { downloaderFor, type DownloadLogEntry } from './download';
import { newRequestId } from './ids';
import { MAX_IMAGE_BYTES } from './images';
import { DEFAULT_MAX_FACES_PER_PERSON, MtsService, type ActionBody, type Params, type Quirks } from './service';
import { EmulatorState } from './state';

export const API_VERSION = '2014-06-18';

export interface MtsEmulatorOptions extends EmulatorBaseOptions {
  /** accepted AccessKey pairs (one per emulated account) */
  credentials: { accessKeyId: string; accessKeySecret: string }[];
  /** ImageUrl → bytes: what RegisterCustomFace can "download" (the map is used as given, not copied) */
  images?: Map<string, Buffer>;
  /**
   * Origins (e.g. the OSS emulator's endpoint) whose ImageUrls RegisterCustomFace really downloads, with a GET
   * bounded by `fetchTimeoutMs` (default 5 s) and 4 MB; a failed download is InvalidParameter "download image
   * failed". URLs in `images` are served from the map first.
   */
  fetchableOrigins?: string[];
  fetchTimeoutMs?: number;
  /** maximum |emulator clock − Timestamp / x-acs-date| (default 15 min) */
  clockSkewMs?: number;
  /** how long used signature nonces are remembered per AccessKey (default 2 × clockSkewMs) */
  nonceTtlMs?: number;
  /** requests per second per AccessKey and Action before Throttling.User (default 100, notes §2.1); false = no limit */
  qpsLimit?: number | false;
  /** faces per person (default 10) */
  maxFacesPerPerson?: number;
  /** `HostId` of error bodies (default mts.cn-shanghai.aliyuncs.com) */
  hostId?: string;
  quirks?: Partial<Quirks>;
  /** request bodies above this are refused (default 8 MiB) */
  maxBodyBytes?: number;
}

export interface RequestLogEntry {
  /** RequestId sent back (body and `x-acs-request-id`) */
  requestId: string;
  method: string;
  /** raw path without the query */
  path: string;
  /** the Action (V1: `Action` parameter; V3: `x-acs-action`), 'unknown' when there was none */
  action: OperationName | string;
  /** decoded query + form parameters */
  params: Params;
  signatureVersion: SignatureVersion;
  accessKeyId?: string;
  /** false when authentication was refused (or never attempted because the request was refused earlier) */
  authenticated: boolean;
  authFailure?: AuthFailure;
  /** the server's string to sign, on a signature mismatch */
  stringToSign?: string;
  /** the server's canonical request, on a V3 signature mismatch */
  canonicalRequest?: string;
  /** HTTP status sent; null when the connection was dropped or the client went away first */
  status: number | null;
  /** `Code` of an error answer */
  code?: string;
  fault?: FaultSpec['kind'];
  /** whether the operation ran (state may have changed) */
  applied: boolean;
}

export interface MtsEmulator {
  /** http://127.0.0.1:PORT — the RPC endpoint is `/` */
  endpoint: string;
  images: Map<string, Buffer>;
  state: EmulatorState;
  faults: FaultController;
  requests: RequestLogEntry[];
  /** one entry per real download of an ImageUrl (see `fetchableOrigins`) */
  downloads: DownloadLogEntry[];
  clock: Clock;
  /** forget used nonces and the throttling window */
  resetAuth(): void;
  close(): Promise<void>;
}

type Result =
  /** success: the action body (RequestId is added) */
  | { status: number; body: ActionBody; headers?: Record<string, string> }
  /** a POP error body is built from it (JSON or XML) */
  | { status: number; error: MtsError; headers?: Record<string, string> }
  /** a fault's custom body, sent as JSON as given (a string as it is) */
  | { status: number; custom: unknown; headers?: Record<string, string> };

const JSON_TYPE = 'application/json;charset=utf-8';
const XML_TYPE = 'text/xml;charset=utf-8';

function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function toXml(name: string, value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => toXml(name, v)).join('');
  if (value !== null && typeof value === 'object') {
    return `<${name}>${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => toXml(k, v))
      .join('')}</${name}>`;
  }
  return `<${name}>${xmlEscape(String(value))}</${name}>`;
}

export async function startMtsEmulator(options: MtsEmulatorOptions): Promise<MtsEmulator> {
  const clock = createClock(options.now);
  const now = clock.now;
  const hostId = options.hostId ?? 'mts.cn-shanghai.aliyuncs.com';
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const qpsLimit = options.qpsLimit ?? 100;
  const clockSkewMs = options.clockSkewMs ?? 15 * 60 * 1000;

  const images = options.images ?? new Map<string, Buffer>();
  const state = new EmulatorState();
  const faults = new FaultController();
  const requests: RequestLogEntry[] = [];
  const downloads: DownloadLogEntry[] = [];
  const service = new MtsService(state, {
    images,
    download: downloaderFor(
      {
        origins: options.fetchableOrigins ?? [],
        timeoutMs: options.fetchTimeoutMs ?? 5_000,
        maxBytes: MAX_IMAGE_BYTES,
      },
      downloads,
    ),
    maxFacesPerPerson: options.maxFacesPerPerson ?? DEFAULT_MAX_FACES_PER_PERSON,
    quirks: { unknownOnUnregister: 'error', unknownOnTag: 'create', ...options.quirks },
  });
  const verifier = new RpcVerifier(new Map(options.credentials.map((c) => [c.accessKeyId, c.accessKeySecret])), {
    maxSkewMs: clockSkewMs,
    nonceTtlMs: options.nonceTtlMs ?? 2 * clockSkewMs,
    now,
  });
  /** `${accessKeyId}\n${action}` → admission times within the last second */
  const windows = new Map<string, number[]>();

  const lifecycle = new Lifecycle();

  function throttled(accessKeyId: string, action: string): boolean {
    if (qpsLimit === false) return false;
    const key = `${accessKeyId}\n${action}`;
    const t = now();
    const recent = (windows.get(key) ?? []).filter((at) => t - at < 1000);
    if (recent.length >= qpsLimit) {
      windows.set(key, recent);
      return true;
    }
    recent.push(t);
    windows.set(key, recent);
    return false;
  }

  async function execute(action: OperationName, params: Params): Promise<Result> {
    try {
      switch (action) {
        case 'RegisterCustomFace':
          return { status: 200, body: await service.registerCustomFace(params) };
        case 'UnregisterCustomFace':
          return { status: 200, body: service.unregisterCustomFace(params) };
        case 'ListCustomPersons':
          return { status: 200, body: service.listCustomPersons(params) };
        case 'TagCustomPerson':
          return { status: 200, body: service.tagCustomPerson(params) };
      }
    } catch (e) {
      if (e instanceof MtsError) return failure(e);
      return failure(Errors.internal());
    }
  }

  function failure(e: MtsError): Result {
    return { status: e.status, error: e };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    res.setHeader('x-acs-request-id', requestId);
    const clientGone = watchClient(res);
    const { rawPath, rawQuery } = splitUrl(req.url ?? '/');
    const method = (req.method ?? 'GET').toUpperCase();
    const { body, size } = await readBody(req, maxBodyBytes);

    const contentType = String(req.headers['content-type'] ?? '').toLowerCase();
    const form = contentType.startsWith('application/x-www-form-urlencoded') ? parsePairs(body.toString('utf8')) : [];
    const params: Params = Object.fromEntries([...parsePairs(rawQuery), ...form]);
    const signatureVersion = RpcVerifier.versionOf(req.headers, params);
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return (Array.isArray(v) ? v.join(',') : v)?.trim();
    };
    const actionName = signatureVersion === 'V3' ? header('x-acs-action') : params['Action'];
    const version = signatureVersion === 'V3' ? header('x-acs-version') : params['Version'];
    // V1 answers in the `Format` it asks for (default XML); V3 (accept: application/json) in JSON
    const format =
      signatureVersion !== 'V3' &&
      (params['Format'] ?? (signatureVersion === 'V1' ? 'XML' : 'JSON')).toUpperCase() === 'XML'
        ? 'xml'
        : 'json';

    const log: RequestLogEntry = {
      requestId,
      method,
      path: rawPath,
      action: actionName || 'unknown',
      params,
      signatureVersion,
      authenticated: false,
      status: null,
      applied: false,
    };
    requests.push(log);

    const send = (result: Result): void => {
      if (res.destroyed || res.writableEnded) return;
      let payload: string;
      let type = JSON_TYPE;
      if ('custom' in result) {
        let custom = result.custom;
        const code = (custom as { Code?: unknown } | null)?.Code;
        if (typeof code === 'string') {
          log.code = code;
          // a POP-style error object: RequestId, HostId and Recommend are filled in when missing
          const given = custom as Record<string, unknown>;
          const base = errorBody(code, String(given['Message'] ?? DEFAULT_MESSAGES[code] ?? ''), requestId, hostId);
          custom = {
            RequestId: base.RequestId,
            HostId: base.HostId,
            ...given,
            Recommend: given['Recommend'] ?? base.Recommend,
          };
        }
        payload = typeof custom === 'string' ? custom : JSON.stringify(custom);
      } else {
        const full: ErrorBody | ActionBody =
          'error' in result
            ? errorBody(result.error.code, result.error.message, requestId, hostId)
            : { RequestId: requestId, ...result.body };
        if ('error' in result) log.code = result.error.code;
        if (format === 'xml') {
          payload =
            `<?xml version="1.0" encoding="UTF-8"?>` +
            `${toXml('error' in result ? 'Error' : `${actionName}Response`, full)}`;
          type = XML_TYPE;
        } else payload = JSON.stringify(full);
      }
      sendPayload(res, result.status, payload, type, result.headers);
      log.status = result.status;
    };

    // --- API resolution (before authentication, as a gateway routes first)
    if (rawPath !== '/' || (method !== 'GET' && method !== 'POST')) return send(failure(Errors.apiNotFound()));
    if (size > maxBodyBytes)
      return send(failure(Errors.invalidParameter(`the request body exceeds ${maxBodyBytes} bytes`)));
    if (!actionName) return send(failure(Errors.missing('Action')));
    if (!OPERATION_NAMES.includes(actionName as OperationName)) return send(failure(Errors.apiNotFound()));
    const action = actionName as OperationName;
    if (!version) return send(failure(Errors.missing('Version')));
    if (version !== API_VERSION) return send(failure(Errors.invalidVersion()));

    // --- authentication
    const auth = verifier.verify({ method, rawPath, rawQuery, headers: req.headers, body, params });
    log.accessKeyId = auth.accessKeyId;
    if (!auth.ok) {
      log.authFailure = auth.reason;
      log.stringToSign = auth.stringToSign;
      log.canonicalRequest = auth.canonicalRequest;
      return send(failure(auth.error));
    }
    log.authenticated = true;
    if (throttled(auth.accessKeyId, action)) return send(failure(Errors.throttlingUser()));

    return answer(faults.take(action), {
      req,
      log,
      lifecycle,
      clientGone,
      execute: () => execute(action, params),
      send,
      status: (fault) => {
        if (fault.body !== undefined) return { status: fault.status, custom: fault.body, headers: fault.headers };
        const code = fault.code ?? defaultFaultCode(fault.status);
        const message = fault.message ?? DEFAULT_MESSAGES[code] ?? `injected ${fault.status}`;
        return { ...failure(new MtsError(fault.status, code, message)), headers: fault.headers };
      },
      malformed: () => {
        res.statusCode = 200;
        res.setHeader('Content-Type', JSON_TYPE);
        res.end(`{"RequestId":"${requestId}","Categories":{"Category":[{"CategoryId":"trunc`);
        log.status = 200;
      },
    });
  }

  const server = await listen(options, lifecycle, handle, () => ({
    status: 500,
    body: errorBody('InternalError', 'errorMsg:internal error', newRequestId(), hostId),
    contentType: JSON_TYPE,
  }));

  return {
    endpoint: server.endpoint,
    images,
    state,
    faults,
    requests,
    downloads,
    clock,
    resetAuth() {
      verifier.forgetNonces();
      windows.clear();
    },
    close: server.close,
  };
}
