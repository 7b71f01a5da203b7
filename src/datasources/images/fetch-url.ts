import dns, { type LookupAddress } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { imageRejected } from '../../domain/errors';
import { isAllowListed, isBlockedAddress, parseAddress } from './address-policy';
import { decodeImage } from './decode';
import { bareHostname, parseHttpUrl } from './http-url';
import type { ImageLimits, LoadedImage, UrlFetchPolicy } from './image';
import { tooLarge } from './rejections';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

type Outcome = { kind: 'image'; bytes: Buffer } | { kind: 'redirect'; status: number; location?: string };

/**
 * Downloads an image the caller pointed at, refusing non-public addresses (after DNS resolution and
 * after every redirect) unless allow-listed, and capping size and time. Messages name the host only.
 */
export async function fetchImageUrl(url: string, policy: UrlFetchPolicy, limits: ImageLimits): Promise<LoadedImage> {
  const first = parseHttpUrl(url);
  const progress = { host: first.host };
  const bytes = await withDeadline(policy.timeoutMs, progress, (signal) =>
    download(first, policy, limits, signal, progress),
  );
  return decodeImage(bytes, limits);
}

async function download(
  first: URL,
  policy: UrlFetchPolicy,
  limits: ImageLimits,
  signal: AbortSignal,
  progress: { host: string },
): Promise<Buffer> {
  let current = first;
  for (let redirects = 0; ; redirects++) {
    progress.host = current.host;
    const addresses = await vetHost(current, policy);
    if (signal.aborted) throw new Error('aborted');
    const outcome = await requestOnce(current, addresses, limits, signal);
    if (outcome.kind === 'image') return outcome.bytes;
    if (redirects >= policy.maxRedirects) {
      throw imageRejected('UNREACHABLE', `The image URL redirected more than ${policy.maxRedirects} times.`);
    }
    current = redirectTarget(current, outcome);
  }
}

/** Resolves the host and refuses it when any address is non-public and not allow-listed. */
async function vetHost(url: URL, policy: UrlFetchPolicy): Promise<LookupAddress[]> {
  const hostname = bareHostname(url);
  const literal = parseAddress(hostname);
  const addresses = literal
    ? [{ address: hostname, family: literal.kind() === 'ipv4' ? 4 : 6 }]
    : await resolve(url.host, hostname);
  for (const { address } of addresses) {
    if (isBlockedAddress(address) && !isAllowListed(address, hostname, policy.allowList)) {
      const what = literal ? 'is' : 'resolves to';
      throw imageRejected(
        'BLOCKED_ADDRESS',
        `The image host ${url.host} ${what} a loopback, private, link-local or otherwise non-public address; ` +
          'it may not be fetched.',
      );
    }
  }
  return addresses;
}

async function resolve(host: string, hostname: string): Promise<LookupAddress[]> {
  let addresses: LookupAddress[];
  try {
    addresses = await dns.promises.lookup(hostname, { all: true, verbatim: true });
  } catch (e) {
    throw imageRejected('UNREACHABLE', `The image host ${host} could not be resolved (${errorCode(e)}).`);
  }
  if (addresses.length === 0) throw imageRejected('UNREACHABLE', `The image host ${host} has no addresses.`);
  return addresses;
}

/** A `lookup` that only ever hands out the addresses already vetted, so DNS rebinding cannot swap them. */
function pinnedLookup(addresses: LookupAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) return callback(null, addresses);
    const match = addresses.find((a) => !options.family || a.family === options.family) ?? addresses[0];
    callback(null, match.address, match.family);
  };
}

function requestOnce(url: URL, addresses: LookupAddress[], limits: ImageLimits, signal: AbortSignal): Promise<Outcome> {
  return new Promise<Outcome>((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request({
      protocol: url.protocol,
      hostname: bareHostname(url),
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      headers: { host: url.host, accept: 'image/*', 'accept-encoding': 'identity', 'user-agent': 'facegraph' },
      lookup: pinnedLookup(addresses),
      agent: false,
      signal,
    });
    req.on('error', (e) =>
      reject(imageRejected('UNREACHABLE', `The image host ${url.host} could not be reached (${errorCode(e)}).`)),
    );
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (REDIRECT_STATUSES.has(status)) {
        res.destroy();
        return resolve({ kind: 'redirect', status, location: res.headers.location });
      }
      if (status < 200 || status > 299) {
        res.destroy();
        return reject(imageRejected('UNREACHABLE', `The image host ${url.host} answered HTTP ${status}.`));
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > limits.maxBytes) {
        res.destroy();
        return reject(tooLarge(limits, declared));
      }
      readBody(res, url.host, limits).then((bytes) => resolve({ kind: 'image', bytes }), reject);
    });
    req.end();
  });
}

function readBody(res: IncomingMessage, host: string, limits: ImageLimits): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let ended = false;
    const cutOff = () =>
      reject(
        imageRejected('UNREACHABLE', `The image host ${host} closed the connection before the whole image arrived.`),
      );
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limits.maxBytes) {
        res.destroy();
        return reject(tooLarge(limits));
      }
      chunks.push(chunk);
    });
    res.on('end', () => {
      ended = true;
      if (res.complete) resolve(Buffer.concat(chunks, received));
      else cutOff();
    });
    res.on('error', cutOff);
    res.on('close', () => {
      if (!ended) cutOff();
    });
  });
}

function redirectTarget(from: URL, outcome: Extract<Outcome, { kind: 'redirect' }>): URL {
  if (!outcome.location) {
    throw imageRejected(
      'UNREACHABLE',
      `The image host ${from.host} answered HTTP ${outcome.status} without a Location.`,
    );
  }
  let next: URL;
  try {
    next = new URL(outcome.location, from);
  } catch {
    throw imageRejected('UNREACHABLE', `The image host ${from.host} redirected to an invalid URL.`);
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    throw imageRejected('UNREACHABLE', `The image host ${from.host} redirected to a non-HTTP(S) URL.`);
  }
  if (next.username || next.password) {
    throw imageRejected('UNREACHABLE', `The image host ${from.host} redirected to a URL with credentials.`);
  }
  next.hash = '';
  return next;
}

/** Runs `work` with one overall time limit; on expiry the signal aborts whatever is in flight. */
async function withDeadline<T>(
  timeoutMs: number,
  progress: { host: string },
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        imageRejected(
          'UNREACHABLE',
          `Fetching the image from ${progress.host} timed out after ${Number((timeoutMs / 1000).toFixed(3))} s.`,
        ),
      );
      controller.abort();
    }, timeoutMs);
  });
  try {
    return await Promise.race([work(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function errorCode(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'network error';
}
