import { randomBytes, randomInt } from 'node:crypto';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ALNUM = LETTERS + '0123456789';

function pick(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** face_id: documented as 8 random upper/lower-case letters (e.g. "PexOpqRj"). */
export const newFaceId = (): string => pick(LETTERS, 8);
/** face_set_id: random 8-character string (doc examples "ylXMMZTO", "T785tx1N"). */
export const newFaceSetId = (): string => pick(ALNUM, 8);
/** Generated external_image_id when the client sends none (real format UNVERIFIED). */
export const newExternalImageId = (): string => pick(ALNUM, 8);
/** X-Request-Id / request_id: 32 lower-case hex characters. */
export const newRequestId = (): string => randomBytes(16).toString('hex');
/** IAM token: an opaque string in the style of the real PKI tokens ("MII..."). */
export const newIamToken = (): string => 'MIIemu' + randomBytes(96).toString('base64url');
export const newHexId = (): string => randomBytes(16).toString('hex');
