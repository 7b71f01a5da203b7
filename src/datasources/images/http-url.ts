import { invalidInput } from '../../domain/errors';

/** Parses a user-given image URL: absolute http(s), no credentials. The fragment is dropped. */
export function parseHttpUrl(value: string, field = 'image.url'): URL {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw invalidInput(field, `${field} is not a valid absolute URL.`, 'URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalidInput(field, `${field} must use http or https, not ${url.protocol.slice(0, -1)}.`, 'URL_SCHEME');
  }
  if (url.username || url.password) {
    throw invalidInput(field, `${field} must not contain credentials (user:password@).`, 'URL_CREDENTIALS');
  }
  url.hash = '';
  return url;
}

/** The URL's host name without IPv6 brackets, as sockets and DNS want it. */
export function bareHostname(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}
