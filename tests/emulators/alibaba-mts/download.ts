/**
 * Real downloads of ImageUrl for RegisterCustomFace, from allowed origins only (e.g. the OSS emulator): a GET
 * bounded in size and time, no redirects. Any failure is MTS's InvalidParameter "download image failed".
 */
import http from 'node:http';
import https from 'node:https';
import { Errors } from './errors';

export interface DownloadOptions {
  /** origins (`http://127.0.0.1:4601`) whose URLs are really fetched */
  origins: string[];
  timeoutMs: number;
  maxBytes: number;
}

export interface DownloadLogEntry {
  url: string;
  /** HTTP status of the download; null when no answer came */
  status: number | null;
  bytes: number;
}

/** A downloader, or undefined for a URL outside the allowed origins (the image map is then the only source). */
export function downloaderFor(
  options: DownloadOptions,
  log: DownloadLogEntry[],
): (url: string) => Promise<Buffer> | undefined {
  const origins = new Set(options.origins.map((o) => new URL(o).origin));
  return (url: string) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    if (!origins.has(parsed.origin)) return undefined;
    const entry: DownloadLogEntry = { url, status: null, bytes: 0 };
    log.push(entry);
    return download(parsed, options, entry);
  };
}

function download(url: URL, options: DownloadOptions, entry: DownloadLogEntry): Promise<Buffer> {
  const failed = (why: string) => Errors.invalidParameter(`download image failed, ImageUrl is not accessible (${why})`);
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'GET',
      agent: false,
      timeout: options.timeoutMs,
    });
    const timer = setTimeout(() => req.destroy(new Error('timeout')), options.timeoutMs);
    const done = (fn: () => void) => {
      clearTimeout(timer);
      fn();
    };
    req.on('error', (e) => done(() => reject(failed(e.message === 'timeout' ? 'timed out' : 'connection failed'))));
    req.on('response', (res) => {
      entry.status = res.statusCode ?? null;
      if (res.statusCode !== 200) {
        res.resume();
        return done(() => reject(failed(`HTTP ${res.statusCode}`)));
      }
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        entry.bytes += chunk.length;
        if (entry.bytes > options.maxBytes) {
          req.destroy();
          return done(() => reject(Errors.invalidParameter('the image is larger than 4MB')));
        }
        chunks.push(chunk);
      });
      res.on('end', () => done(() => (res.complete ? resolve(Buffer.concat(chunks)) : reject(failed('cut short')))));
      res.on('error', () => done(() => reject(failed('cut short'))));
    });
    req.end();
  });
}
