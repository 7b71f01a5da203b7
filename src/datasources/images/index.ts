import { invalidInput } from '../../domain/errors';
import { decodeBase64Image } from './base64';
import { fetchImageUrl } from './fetch-url';
import type { ImageLimits, LoadedImage, UrlFetchPolicy } from './image';

export * from './image';
export { decodeImage, sniffFormat, WHOLE_IMAGE_MAX_BYTES } from './decode';
export { DecodePool, decodePoolFor, DEFAULT_DECODE_POOL } from './decode-pool';
export type { DecodePoolSettings } from './decode-pool';
export { applySharpSettings } from './sharp-settings';
export { decodeBase64Image } from './base64';
export { fetchImageUrl } from './fetch-url';
export { checkVendorFetchedUrl } from './vendor-url';
export { classifyAddress, isAllowListed, isBlockedAddress } from './address-policy';
export type { AddressCategory, AddressVerdict } from './address-policy';

export interface ImageInputValue {
  base64?: string | null;
  url?: string | null;
}

/** Loads an `ImageInput`: exactly one of `base64` or `url`. */
export async function loadImageInput(
  input: ImageInputValue,
  limits: ImageLimits,
  policy: UrlFetchPolicy,
): Promise<LoadedImage> {
  const hasBase64 = input.base64 != null;
  const hasUrl = input.url != null;
  if (hasBase64 === hasUrl) {
    throw invalidInput('image', 'Give exactly one of image.base64 or image.url.', 'EXACTLY_ONE');
  }
  return hasBase64 ? decodeBase64Image(input.base64 as string, limits) : fetchImageUrl(input.url as string, policy, limits);
}
