import { decodeBase64Image } from './base64';
import { decodeImage } from './decode';
import { fetchImageUrl } from './fetch-url';
import type { ImageLimits, LoadedImage, UrlFetchPolicy } from './image';
import { exactlyOne, type ReceivedImageInput } from './upload';

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

export { receiveImageInput } from './upload';
export type { ImageInputValue, ReceivedImageInput, UploadedFile } from './upload';

/** Loads a received `ImageInput`: exactly one of `base64`, `url` or the bytes of an upload. */
export async function loadImageInput(
  input: ReceivedImageInput,
  limits: ImageLimits,
  policy: UrlFetchPolicy,
): Promise<LoadedImage> {
  if ([input.base64, input.url, input.bytes].filter((part) => part != null).length !== 1) throw exactlyOne();
  if (input.bytes != null) return decodeImage(input.bytes, limits);
  if (input.base64 != null) return decodeBase64Image(input.base64, limits);
  return fetchImageUrl(input.url as string, policy, limits);
}
