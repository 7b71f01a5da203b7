/** HTTP plumbing shared by the emulators: bodies, answers, faults, the clock and the server's life. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultSpec, StatusFault } from './faults';

/** What every emulator's options share. */
export interface EmulatorBaseOptions {
  /** base clock (default Date.now); `emulator.clock.advance()` shifts it further */
  now?: () => number;
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
}

export interface Clock {
  now(): number;
  advance(ms: number): void;
}

/** `base` (default Date.now) shifted by every `advance(ms)`. */
export function createClock(base: () => number = Date.now): Clock {
  let offset = 0;
  return {
    now: () => base() + offset,
    advance(ms: number) {
      offset += ms;
    },
  };
}

export function splitUrl(rawUrl: string): { rawPath: string; rawQuery: string } {
  const q = rawUrl.indexOf('?');
  return q < 0 ? { rawPath: rawUrl, rawQuery: '' } : { rawPath: rawUrl.slice(0, q), rawQuery: rawUrl.slice(q + 1) };
}

/** The whole body, but no more than `maxBytes` of it is kept; `size` is what was received. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<{ body: Buffer; size: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    req.on('end', () => resolve({ body: Buffer.concat(chunks), size }));
    req.on('error', reject);
  });
}

/** Returns whether the client went away before the answer was finished. */
export function watchClient(res: ServerResponse): () => boolean {
  let gone = false;
  res.on('close', () => {
    if (!res.writableFinished) gone = true;
  });
  return () => gone;
}

/**
 * Sends `payload` (undefined = empty body) with `contentType` unless `headers` set one.
 * Returns false when the response can no longer be sent.
 */
export function sendPayload(
  res: ServerResponse,
  status: number,
  payload: string | undefined,
  contentType: string,
  headers: Record<string, string> = {},
): boolean {
  if (res.destroyed || res.writableEnded) return false;
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (payload === undefined) {
    res.setHeader('Content-Length', 0);
    res.end();
  } else {
    if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', contentType);
    res.setHeader('Content-Length', Buffer.byteLength(payload));
    res.end(payload);
  }
  return true;
}

/** A string body is sent as it is, anything else as JSON. */
export const jsonPayload = (body: unknown): string | undefined =>
  typeof body === 'string' || body === undefined ? body : JSON.stringify(body);

export interface FaultAnswer<R extends { status: number }, Status extends StatusFault> {
  req: IncomingMessage;
  log: { applied: boolean; fault?: FaultSpec['kind'] };
  lifecycle: Lifecycle;
  clientGone: () => boolean;
  /** runs the operation */
  execute(): Promise<R>;
  send(result: R): void;
  /** the answer of a status fault */
  status(fault: Status): R;
  /** sends the truncated JSON of a malformed-json fault */
  malformed(): void;
}

/** Runs the operation and answers, as the fault (if any) says. */
export async function answer<R extends { status: number }, Status extends StatusFault>(
  fault: FaultSpec<Status> | undefined,
  a: FaultAnswer<R, Status>,
): Promise<void> {
  const run = async (): Promise<R> => {
    a.log.applied = true;
    const result = await a.execute();
    if (result.status >= 400) a.log.applied = false; // refused operations change nothing
    return result;
  };
  if (!fault) return a.send(await run());
  a.log.fault = fault.kind;
  switch (fault.kind) {
    case 'delay': {
      if (fault.applyThenDelay) {
        const result = await run();
        await a.lifecycle.sleep(fault.ms);
        if (a.lifecycle.closed) return;
        return a.send(result);
      }
      await a.lifecycle.sleep(fault.ms);
      if (a.lifecycle.closed || a.clientGone()) return; // the client gave up before the "vendor" acted
      return a.send(await run());
    }
    case 'malformed-json': {
      if (fault.apply) await run();
      return a.malformed();
    }
    case 'drop': {
      if (fault.apply) await run();
      a.req.socket.destroy();
      return;
    }
    default: {
      if (fault.apply) await run();
      return a.send(a.status(fault));
    }
  }
}

/** Pending fault delays, cut short when the emulator closes. */
export class Lifecycle {
  closed = false;
  private readonly sleepers = new Set<() => void>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  close(): void {
    this.closed = true;
    for (const wake of [...this.sleepers]) wake();
  }
}

export interface Listening {
  server: Server;
  /** http://HOST:PORT */
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Serves `handle` on `host` (default 127.0.0.1). An unexpected failure answers `crash()`: a string body as it is
 * (an XML error), anything else as JSON.
 */
export async function listen(
  options: EmulatorBaseOptions,
  lifecycle: Lifecycle,
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  crash: () => { status: number; body: unknown; contentType: string },
): Promise<Listening> {
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) {
        const { status, body, contentType } = crash();
        res.statusCode = status;
        res.setHeader('Content-Type', contentType);
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      }
    });
  });
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    endpoint: `http://${host}:${address.port}`,
    close() {
      lifecycle.close();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
