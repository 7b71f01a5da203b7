/**
 * Alibaba Cloud OSS emulator (the object calls a staging bucket needs): a real HTTP server on 127.0.0.1 with
 * path-style addressing `/<bucket>/<key>` — PutObject, GetObject, HeadObject, DeleteObject — that verifies V1
 * signatures in the Authorization header and in presigned URLs, answers OSS's XML errors with
 * `x-oss-request-id`, and keeps inspectable state, a request log and fault injection. See README.md.
 */
import { createHash } from 'node:crypto';
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
import { OssVerifier, parseQuery, percentDecode, type AuthFailure, type AuthMode } from './auth';
import { Errors, OssError, defaultFault, errorXml } from './errors';
import { FaultController, type FaultSpec, type OperationName } from './faults';
import { newRequestId } from './ids';
import { OssState } from './state';

export interface OssEmulatorOptions extends EmulatorBaseOptions {
  /** accepted AccessKey pairs */
  credentials: { accessKeyId: string; accessKeySecret: string }[];
  /** buckets that exist (all private) */
  buckets: string[];
  /** objects larger than this are refused with EntityTooLarge (default 32 MiB; OSS allows 5 GB per PUT) */
  maxObjectBytes?: number;
  /** `HostId` of error bodies (default oss-cn-shanghai.aliyuncs.com) */
  hostId?: string;
}

export interface OssRequestLogEntry {
  requestId: string;
  method: string;
  /** raw path without the query */
  path: string;
  bucket: string;
  /** decoded object key ('' for a bucket-level request) */
  key: string;
  /** decoded query parameters (a name without '=' maps to '') */
  query: Record<string, string>;
  operation: OperationName | 'unsupported';
  auth: AuthMode;
  accessKeyId?: string;
  authenticated: boolean;
  authFailure?: AuthFailure;
  /** the server's string to sign, on a signature mismatch */
  stringToSign?: string;
  /** HTTP status sent; null when the connection was dropped or the client went away first */
  status: number | null;
  code?: string;
  fault?: FaultSpec['kind'];
  /** whether the operation ran (state may have changed) */
  applied: boolean;
}

export interface OssEmulator {
  /** http://127.0.0.1:PORT — objects are at `${endpoint}/<bucket>/<key>` */
  endpoint: string;
  state: OssState;
  faults: FaultController;
  requests: OssRequestLogEntry[];
  clock: Clock;
  close(): Promise<void>;
}

type Result =
  | { status: number; headers?: Record<string, string>; body?: Buffer; head?: boolean }
  | { status: number; error: OssError; headers?: Record<string, string> }
  | { status: number; custom: string; headers?: Record<string, string> };

const XML_TYPE = 'application/xml';
const OPERATIONS: Record<string, OperationName> = {
  PUT: 'PutObject',
  GET: 'GetObject',
  HEAD: 'HeadObject',
  DELETE: 'DeleteObject',
};

export async function startOssEmulator(options: OssEmulatorOptions): Promise<OssEmulator> {
  const clock = createClock(options.now);
  const hostId = options.hostId ?? 'oss-cn-shanghai.aliyuncs.com';
  const maxObjectBytes = options.maxObjectBytes ?? 32 * 1024 * 1024;
  const state = new OssState();
  for (const bucket of options.buckets) state.createBucket(bucket);
  const faults = new FaultController();
  const requests: OssRequestLogEntry[] = [];
  const verifier = new OssVerifier(
    new Map(options.credentials.map((c) => [c.accessKeyId, c.accessKeySecret])),
    clock.now,
  );
  const lifecycle = new Lifecycle();

  function execute(operation: OperationName, bucket: string, key: string, req: IncomingMessage, body: Buffer): Result {
    switch (operation) {
      case 'PutObject': {
        const md5 = createHash('md5').update(body).digest('base64');
        const given = req.headers['content-md5'];
        if (given !== undefined && given !== md5) throw Errors.invalidDigest();
        const contentType = req.headers['content-type'] || 'application/octet-stream';
        const stored = state.put(bucket, key, body, contentType, new Date(clock.now()));
        return { status: 200, headers: { ETag: stored.etag, 'Content-MD5': md5 } };
      }
      case 'GetObject':
      case 'HeadObject': {
        const stored = state.object(bucket, key);
        if (!stored) throw Errors.noSuchKey(key);
        return {
          status: 200,
          body: stored.body,
          head: operation === 'HeadObject',
          headers: {
            'Content-Type': stored.contentType,
            ETag: stored.etag,
            'Last-Modified': stored.lastModified.toUTCString(),
            'x-oss-object-type': 'Normal',
          },
        };
      }
      case 'DeleteObject':
        state.delete(bucket, key); // a missing key is no error
        return { status: 204 };
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    res.setHeader('x-oss-request-id', requestId);
    res.setHeader('Server', 'AliyunOSS');
    res.setHeader('Date', new Date(clock.now()).toUTCString());
    const clientGone = watchClient(res);
    const { rawPath, rawQuery } = splitUrl(req.url ?? '/');
    const method = (req.method ?? 'GET').toUpperCase();
    const { body, size } = await readBody(req, maxObjectBytes);

    const slash = rawPath.indexOf('/', 1);
    const bucket = percentDecode(slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash));
    const key = slash < 0 ? '' : percentDecode(rawPath.slice(slash + 1));
    const query = parseQuery(rawQuery);
    const operation = key ? OPERATIONS[method] : undefined;

    const log: OssRequestLogEntry = {
      requestId,
      method,
      path: rawPath,
      bucket,
      key,
      query: Object.fromEntries(query.map(([k, v]) => [k, v ?? ''])),
      operation: operation ?? 'unsupported',
      auth: 'anonymous',
      authenticated: false,
      status: null,
      applied: false,
    };
    requests.push(log);

    const send = (result: Result): void => {
      if (res.destroyed || res.writableEnded) return;
      log.status = result.status;
      if ('error' in result) {
        log.code = result.error.code;
        // a HEAD answer has no body: the code travels in x-oss-ec only
        if (method === 'HEAD')
          return void sendPayload(res, result.status, undefined, XML_TYPE, {
            ...(result.error.extra['EC'] ? { 'x-oss-ec': result.error.extra['EC'] } : {}),
            ...result.headers,
          });
        sendPayload(
          res,
          result.status,
          errorXml(result.error, requestId, `${bucket ? `${bucket}.` : ''}${hostId}`),
          XML_TYPE,
          result.headers,
        );
        return;
      }
      if ('custom' in result) {
        sendPayload(res, result.status, result.custom, XML_TYPE, result.headers);
        return;
      }
      res.statusCode = result.status;
      for (const [k, v] of Object.entries(result.headers ?? {})) res.setHeader(k, v);
      res.setHeader('Content-Length', result.body?.length ?? 0);
      if (result.head || !result.body) res.end();
      else res.end(result.body);
    };
    const failure = (error: OssError): Result => ({ status: error.status, error });

    // --- resource resolution (before authentication: OSS looks the bucket up first)
    if (!operation) return send(failure(Errors.methodNotAllowed(method)));
    if (!state.buckets.has(bucket)) return send(failure(Errors.noSuchBucket(bucket)));
    if (Buffer.byteLength(key) > 1023 || key.startsWith('/') || key.startsWith('\\'))
      return send(failure(Errors.invalidObjectName()));

    // --- authentication
    const auth = verifier.verify({ method, bucket, key, headers: req.headers, query });
    log.auth = auth.mode;
    log.accessKeyId = auth.accessKeyId;
    if (!auth.ok) {
      log.authFailure = auth.reason;
      log.stringToSign = auth.stringToSign;
      return send(failure(auth.error));
    }
    log.authenticated = true;
    if (size > maxObjectBytes) return send(failure(Errors.entityTooLarge(maxObjectBytes)));

    return answer(faults.take(operation), {
      req,
      log,
      lifecycle,
      clientGone,
      execute: async () => {
        try {
          return execute(operation, bucket, key, req, body);
        } catch (e) {
          return failure(e instanceof OssError ? e : Errors.internal());
        }
      },
      send,
      status: (fault) => {
        if (fault.body !== undefined)
          return {
            status: fault.status,
            custom: typeof fault.body === 'string' ? fault.body : JSON.stringify(fault.body),
            headers: fault.headers,
          };
        const defaults = defaultFault(fault.status);
        return {
          status: fault.status,
          error: new OssError(fault.status, fault.code ?? defaults.code, fault.message ?? defaults.message),
          headers: fault.headers,
        };
      },
      malformed: () => {
        // OSS success bodies of these calls are empty or raw bytes: a malformed answer is a truncated XML error
        log.status = 500;
        sendPayload(res, 500, `<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>Internal`, XML_TYPE);
      },
    });
  }

  const server = await listen(options, lifecycle, handle, () => ({
    status: 500,
    body: errorXml(Errors.internal(), newRequestId(), hostId),
    contentType: XML_TYPE,
  }));

  return { endpoint: server.endpoint, state, faults, requests, clock, close: server.close };
}
