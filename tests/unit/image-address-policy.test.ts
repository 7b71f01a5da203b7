import { classifyAddress, isAllowListed, isBlockedAddress } from '../../src/datasources/images/address-policy';

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.1.1', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['fe80::1%eth0', 'linkLocal'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved'],
    ['::7f00:1', 'reserved'],
    ['64:ff9b:1::1', 'reserved'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['2002:c0a8:0101::1', 'private'],
    ['not-an-ip', 'invalid'],
  ])('blocks %s as %s', (address, category) => {
    expect(classifyAddress(address)).toEqual({ category, blocked: true });
    expect(isBlockedAddress(address)).toBe(true);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '192.169.0.1',
    '2606:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
    '2002:0808:0808::1',
  ])('allows the public address %s', (address) => {
    expect(classifyAddress(address)).toEqual({ category: 'public', blocked: false });
  });
});

describe('isAllowListed', () => {
  it('matches host names exactly and case-insensitively', () => {
    const list = ['Images.Intranet.example'];
    expect(isAllowListed('10.0.0.5', 'images.intranet.example', list)).toBe(true);
    expect(isAllowListed('10.0.0.5', 'IMAGES.intranet.example.', list)).toBe(true);
    expect(isAllowListed('10.0.0.5', 'evil.images.intranet.example', list)).toBe(false);
    expect(isAllowListed('10.0.0.5', 'intranet.example', list)).toBe(false);
  });

  it('matches single IPs, in either IPv4 or mapped spelling', () => {
    expect(isAllowListed('127.0.0.1', '127.0.0.1', ['127.0.0.1'])).toBe(true);
    expect(isAllowListed('::ffff:127.0.0.1', 'localhost', ['127.0.0.1'])).toBe(true);
    expect(isAllowListed('127.0.0.1', 'localhost', ['::ffff:127.0.0.1'])).toBe(true);
    expect(isAllowListed('127.0.0.2', '127.0.0.2', ['127.0.0.1'])).toBe(false);
    expect(isAllowListed('::1', '[::1]', ['::1'])).toBe(true);
    expect(isAllowListed('::1', '::1', ['0:0:0:0:0:0:0:1'])).toBe(true);
  });

  it('matches CIDR ranges', () => {
    const list = ['10.20.0.0/16', 'fd00:1234::/32'];
    expect(isAllowListed('10.20.3.4', 'x', list)).toBe(true);
    expect(isAllowListed('::ffff:10.20.3.4', 'x', list)).toBe(true);
    expect(isAllowListed('10.21.0.1', 'x', list)).toBe(false);
    expect(isAllowListed('fd00:1234:5::1', 'x', list)).toBe(true);
    expect(isAllowListed('fd00:1235::1', 'x', list)).toBe(false);
    expect(isAllowListed('127.0.0.9', 'x', ['127.0.0.0/8'])).toBe(true);
  });

  it('ignores blank and malformed entries and matches nothing when empty', () => {
    expect(isAllowListed('127.0.0.1', 'localhost', [])).toBe(false);
    expect(isAllowListed('127.0.0.1', 'localhost', ['', '  ', '10.0.0.0/99', '127.0.0.1/abc'])).toBe(false);
  });
});
