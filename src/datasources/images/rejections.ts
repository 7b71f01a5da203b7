import { imageRejected } from '../../domain/errors';
import type { ImageLimits } from './image';

export const ACCEPTED_FORMATS_TEXT = 'JPEG, PNG, WebP, GIF or TIFF';

export function describeBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${round1(bytes / (1024 * 1024))} MB`;
  if (bytes >= 1024) return `${round1(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

/** TOO_LARGE for an image whose size is known, or only known to exceed the limit. */
export function tooLarge(limits: ImageLimits, actualBytes?: number) {
  const limit = describeBytes(limits.maxBytes);
  if (actualBytes === undefined) {
    return imageRejected('TOO_LARGE', `The image is larger than the ${limit} limit.`);
  }
  let actual = describeBytes(actualBytes);
  // Rounding can make a slightly-too-large image read as exactly the limit.
  if (actual === limit) actual = `${actualBytes} bytes, more than ${limits.maxBytes} bytes`;
  return imageRejected('TOO_LARGE', `The image is ${actual}; the limit is ${limit}.`);
}

export function unsupportedFormat(detail = 'is not an image in a supported format') {
  return imageRejected('UNSUPPORTED_FORMAT', `The image ${detail}; accepted formats are ${ACCEPTED_FORMATS_TEXT}.`);
}

function round1(n: number): string {
  return String(Math.round(n * 10) / 10);
}
