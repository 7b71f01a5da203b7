import ipaddr from 'ipaddr.js';

export type AddressCategory =
  | 'public'
  | 'loopback'
  | 'private'
  | 'linkLocal'
  | 'unspecified'
  | 'carrierGradeNat'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'metadata'
  | 'invalid';

export interface AddressVerdict {
  category: AddressCategory;
  blocked: boolean;
}

type IP = ipaddr.IPv4 | ipaddr.IPv6;

// Cloud instance-metadata endpoints: AWS/GCP/Azure/OCI, AWS over IPv6, Alibaba.
const METADATA_ADDRESSES = ['169.254.169.254', 'fd00:ec2::254', '100.100.100.200'].map((a) => ipaddr.parse(a));

const PUBLIC_V4_RANGES = new Set(['unicast', 'as112', 'amt']);
const PUBLIC_V6_RANGES = new Set(['unicast', 'as112v6', 'amt']);

const V4_CATEGORIES: Record<string, AddressCategory> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'linkLocal',
  loopback: 'loopback',
  carrierGradeNat: 'carrierGradeNat',
  private: 'private',
};

const V6_CATEGORIES: Record<string, AddressCategory> = {
  unspecified: 'unspecified',
  linkLocal: 'linkLocal',
  multicast: 'multicast',
  loopback: 'loopback',
  uniqueLocal: 'private',
  deprecatedSiteLocal: 'private',
};

const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');

/** Parses an address literal, accepting the bracketed form a URL host uses for IPv6. */
export function parseAddress(address: string): IP | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (!ipaddr.isValid(bare)) return null;
  return ipaddr.parse(bare);
}

export function classifyAddress(address: string): AddressVerdict {
  const ip = parseAddress(address);
  if (!ip) return { category: 'invalid', blocked: true };
  const category = categorize(ip);
  return { category, blocked: category !== 'public' };
}

export function isBlockedAddress(address: string): boolean {
  return classifyAddress(address).blocked;
}

/**
 * True when the allow-list names the host (exact, case-insensitive) or contains the address,
 * as an IP or as a CIDR range.
 */
export function isAllowListed(address: string, host: string, allowList: readonly string[]): boolean {
  const hostName = normalizeHostName(host);
  const ip = parseAddress(address);
  const candidates = ip ? equivalents(ip) : [];
  for (const raw of allowList) {
    const entry = raw.trim();
    if (!entry) continue;
    if (entry.includes('/')) {
      if (!ipaddr.isValidCIDR(entry)) continue;
      const range = ipaddr.parseCIDR(entry);
      if (candidates.some((c) => c.kind() === range[0].kind() && c.match(range))) return true;
      continue;
    }
    const entryIp = parseAddress(entry);
    if (entryIp) {
      const wanted = unwrap(entryIp).toNormalizedString();
      if (candidates.some((c) => c.toNormalizedString() === wanted)) return true;
      continue;
    }
    if (hostName && normalizeHostName(entry) === hostName) return true;
  }
  return false;
}

export function normalizeHostName(host: string): string {
  let name = host.trim().toLowerCase();
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  return name.replace(/\.+$/, '');
}

function categorize(ip: IP): AddressCategory {
  if (METADATA_ADDRESSES.some((m) => m.kind() === ip.kind() && m.toNormalizedString() === ip.toNormalizedString())) {
    return 'metadata';
  }
  if (ip.kind() === 'ipv4') {
    const range = ip.range();
    if (PUBLIC_V4_RANGES.has(range)) return 'public';
    return V4_CATEGORIES[range] ?? 'reserved';
  }
  const v6 = ip as ipaddr.IPv6;
  const embedded = embeddedIPv4(v6);
  if (embedded) return categorize(embedded);
  const range = v6.range();
  if (PUBLIC_V6_RANGES.has(range)) return v6.match(IPV4_COMPATIBLE) ? 'reserved' : 'public';
  return V6_CATEGORIES[range] ?? 'reserved';
}

/** The IPv4 address an IPv6 address stands for (mapped, translated, NAT64, 6to4), if any. */
function embeddedIPv4(ip: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = ip.parts;
  const fromParts = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  switch (ip.range()) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return fromParts(p[6], p[7]);
    case 'rfc6052':
      return ip.match(NAT64_WELL_KNOWN) ? fromParts(p[6], p[7]) : null;
    case '6to4':
      return fromParts(p[1], p[2]);
    default:
      return null;
  }
}

function unwrap(ip: IP): IP {
  return ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress() ? (ip as ipaddr.IPv6).toIPv4Address() : ip;
}

/** The address itself plus its IPv4 / IPv4-mapped twin, so either spelling matches an allow-list entry. */
function equivalents(ip: IP): IP[] {
  const plain = unwrap(ip);
  return plain.kind() === 'ipv4' ? [plain, (plain as ipaddr.IPv4).toIPv4MappedAddress()] : [plain];
}
