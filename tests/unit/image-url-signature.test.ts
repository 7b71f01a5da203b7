import { randomBytes } from 'node:crypto';
import {
  imageUrlExpiry,
  signImageUrl,
  verifyImageUrl,
  type ImageUrlClaims,
} from '../../src/domain/image-url-signature';

const key = randomBytes(32);
const claims: ImageUrlClaims = {
  faceId: 'RmFjZTpsb2NhbDpsaWI6ZmFjZS0x',
  maxSide: 256,
  crop: 'NONE',
  expires: 2_000_000_000,
};
const now = 1_999_999_000;

describe('image URL signatures', () => {
  it('verifies what it signed, until the expiry second has passed', () => {
    const signature = signImageUrl(key, claims);
    expect(signature).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(verifyImageUrl(key, claims, signature, now)).toBe('valid');
    expect(verifyImageUrl(key, claims, signature, claims.expires)).toBe('valid');
    expect(verifyImageUrl(key, claims, signature, claims.expires + 1)).toBe('expired');
  });

  it.each<[string, Partial<ImageUrlClaims>]>([
    ['another face', { faceId: 'RmFjZTpsb2NhbDpsaWI6ZmFjZS0y' }],
    ['a larger size', { maxSide: 1024 }],
    ['another crop', { crop: 'FACE' }],
    ['a later expiry', { expires: claims.expires + 3600 }],
  ])('refuses the signature for %s', (_what, change) => {
    const signature = signImageUrl(key, claims);
    expect(verifyImageUrl(key, { ...claims, ...change }, signature, now)).toBe('bad-signature');
  });

  it('refuses a signature made with another key, a changed character, or not a signature at all', () => {
    const signature = signImageUrl(key, claims);
    expect(verifyImageUrl(randomBytes(32), claims, signature, now)).toBe('bad-signature');
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    expect(verifyImageUrl(key, claims, flipped, now)).toBe('bad-signature');
    expect(verifyImageUrl(key, claims, '', now)).toBe('bad-signature');
    expect(verifyImageUrl(key, claims, signature.slice(0, 42), now)).toBe('bad-signature');
    expect(verifyImageUrl(key, claims, `${signature}=`, now)).toBe('bad-signature');
  });

  it('a bad signature is refused as such even when the claims have expired too', () => {
    expect(verifyImageUrl(key, claims, 'x'.repeat(43), claims.expires + 10)).toBe('bad-signature');
  });

  it('expires at least the ttl from now and at most a tenth of it later, the same within that tenth', () => {
    for (const [nowSeconds, ttl] of [
      [1_000_000, 300],
      [1_000_017, 300],
      [1_000_000, 1],
      [1_000_001, 7],
    ]) {
      const expires = imageUrlExpiry(nowSeconds, ttl);
      expect(expires).toBeGreaterThanOrEqual(nowSeconds + ttl);
      expect(expires).toBeLessThanOrEqual(nowSeconds + ttl + Math.max(1, Math.floor(ttl / 10)));
    }
    // 1,000,320 is a multiple of 30 s (a tenth of 300 s): links made in the 30 s before it minus the ttl share it.
    expect(imageUrlExpiry(999_991, 300)).toBe(1_000_320);
    expect(imageUrlExpiry(1_000_020, 300)).toBe(1_000_320);
    expect(imageUrlExpiry(1_000_021, 300)).toBe(1_000_350);
  });
});
