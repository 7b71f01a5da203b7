import { imageRejected } from '../../domain/errors';
import { classifyAddress, normalizeHostName, parseAddress } from './address-policy';
import { bareHostname, parseHttpUrl } from './http-url';

const INTERNAL_SUFFIXES = ['localhost', 'local', 'internal', 'home.arpa', 'localdomain'];

/**
 * Checks a URL that a vendor fetches itself. No DNS look-up (the vendor's resolver is the one that
 * counts): only the scheme, literal non-public addresses and internal-looking names are refused.
 * Returns the normalised URL.
 */
export function checkVendorFetchedUrl(url: string): string {
  const parsed = parseHttpUrl(url);
  const hostname = bareHostname(parsed);
  if (parseAddress(hostname)) {
    if (classifyAddress(hostname).blocked) throw blocked(parsed.host);
    return parsed.href;
  }
  const name = normalizeHostName(hostname);
  // A single-label name (`metadata`, `intranet`) only resolves through a local search domain.
  if (!name.includes('.') || INTERNAL_SUFFIXES.some((s) => name === s || name.endsWith(`.${s}`))) {
    throw blocked(parsed.host);
  }
  return parsed.href;
}

function blocked(host: string) {
  return imageRejected(
    'BLOCKED_ADDRESS',
    `The image host ${host} is a local, private or internal address; a vendor may not be sent to it.`,
  );
}
