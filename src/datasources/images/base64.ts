import { invalidInput } from '../../domain/errors';
import { decodeImage } from './decode';
import type { ImageLimits, LoadedImage } from './image';
import { tooLarge } from './rejections';

const FIELD = 'image.base64';
const DATA_URL = /^data:([^,]*),/i;
const DATA_URL_IMAGE_BASE64 = /^image\/[a-z0-9.+-]+(;[^;,]*)*;base64$/i;
const BASE64_CHARS = /^[A-Za-z0-9+/_-]*$/;

/** Decodes plain base64 (standard or URL-safe alphabet) or a `data:image/...;base64,` URL. */
export async function decodeBase64Image(value: string, limits: ImageLimits): Promise<LoadedImage> {
  let payload = value;
  const dataUrl = DATA_URL.exec(value.slice(0, 256).trimStart());
  if (dataUrl) {
    if (!DATA_URL_IMAGE_BASE64.test(dataUrl[1].trim())) {
      throw invalidInput(FIELD, 'image.base64 holds a data: URL that is not data:image/...;base64,', 'BASE64');
    }
    payload = value.trimStart().slice(dataUrl[0].length);
  }

  // Refuse a huge string before scanning it; the slack allows for line breaks and other whitespace.
  const maxEncodedLength = Math.ceil(limits.maxBytes / 3) * 4;
  if (payload.length > maxEncodedLength * 2 + 1024) throw tooLarge(limits);

  const clean = payload.replace(/\s+/g, '');
  if (clean.length === 0) throw invalidInput(FIELD, 'image.base64 is empty.', 'BASE64');

  const body = clean.replace(/={1,2}$/, '');
  const padding = clean.length - body.length;
  const decodedLength = Math.floor((body.length * 3) / 4);
  if (decodedLength > limits.maxBytes) throw tooLarge(limits, decodedLength);

  if (!BASE64_CHARS.test(body)) {
    throw invalidInput(
      FIELD,
      'image.base64 is not valid base64 (it contains characters outside the base64 alphabet).',
      'BASE64',
    );
  }
  if (body.length % 4 === 1 || (padding > 0 && clean.length % 4 !== 0)) {
    throw invalidInput(FIELD, 'image.base64 is not valid base64 (wrong length or padding).', 'BASE64');
  }

  return decodeImage(Buffer.from(body, 'base64'), limits);
}
