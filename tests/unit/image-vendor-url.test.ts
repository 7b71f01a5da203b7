import { FaceGraphError } from '../../src/domain/errors';
import { checkVendorFetchedUrl } from '../../src/datasources/images/vendor-url';

function failure(url: string): FaceGraphError {
  try {
    checkVendorFetchedUrl(url);
  } catch (e) {
    if (e instanceof FaceGraphError) return e;
    throw e;
  }
  throw new Error(`expected ${url} to be refused`);
}

describe('checkVendorFetchedUrl', () => {
  it.each([
    ['https://images.example.com/a.jpg?sig=1#frag', 'https://images.example.com/a.jpg?sig=1'],
    ['HTTP://Images.Example.COM:8080/x', 'http://images.example.com:8080/x'],
    ['  https://8.8.8.8/face.png ', 'https://8.8.8.8/face.png'],
    ['http://[2606:4700::1111]/f.jpg', 'http://[2606:4700::1111]/f.jpg'],
    [
      'https://no-such-host.invalid-tld-that-does-not-resolve.com/a.jpg',
      'https://no-such-host.invalid-tld-that-does-not-resolve.com/a.jpg',
    ],
  ])('accepts %s without resolving it', (url, normalised) => {
    expect(checkVendorFetchedUrl(url)).toBe(normalised);
  });

  it.each([
    'http://127.0.0.1/a.jpg',
    'http://2130706433/a.jpg',
    'http://0x7f.1/a.jpg',
    'http://[::1]/a.jpg',
    'http://[::ffff:127.0.0.1]/a.jpg',
    'http://10.0.0.8/a.jpg',
    'http://192.168.0.1/a.jpg',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
    'http://100.100.100.200/',
    'http://0.0.0.0:8080/',
    'http://localhost/a.jpg',
    'http://LOCALHOST./a.jpg',
    'http://api.localhost/a.jpg',
    'http://printer.local/a.jpg',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://metadata/computeMetadata/v1/',
    'http://nas.home.arpa/a.jpg',
  ])('refuses %s as BLOCKED_ADDRESS', (url) => {
    const e = failure(url);
    expect(e.detail).toMatchObject({ type: 'ImageRejectedError', reason: 'BLOCKED_ADDRESS' });
  });

  it('names the host but not the query string', () => {
    const e = failure('http://10.1.1.1:81/a.jpg?token=secret');
    expect(e.message).toContain('10.1.1.1:81');
    expect(e.message).not.toContain('secret');
  });

  it.each([
    ['ftp://example.com/a.jpg', 'URL_SCHEME'],
    ['file:///etc/passwd', 'URL_SCHEME'],
    ['javascript:alert(1)', 'URL_SCHEME'],
    ['not a url', 'URL'],
    ['/relative/path.jpg', 'URL'],
    ['https://user:pass@example.com/a.jpg', 'URL_CREDENTIALS'],
  ])('refuses %s as InvalidInputError %s', (url, constraint) => {
    expect(failure(url).detail).toMatchObject({ type: 'InvalidInputError', field: 'image.url', constraint });
  });
});
