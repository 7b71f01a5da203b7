import type { Readable } from 'node:stream';
import { invalidInput } from '../../domain/errors';
import type { ImageLimits } from './image';
import { tooLarge } from './rejections';

// A file sent with the GraphQL multipart request spec (ImageInput.upload). The server's multipart parser hands the
// resolvers a promise of the file; its bytes are read here, at most limits.maxBytes of them.

const FIELD = 'image.upload';

/** What the multipart parser (graphql-upload-minimal) gives for an `Upload` argument. */
export interface UploadedFile {
  filename: string;
  mimetype: string;
  createReadStream(): Readable;
}

/** An ImageInput as the schema takes it: exactly one of base64, url or upload. */
export interface ImageInputValue {
  base64?: string | null;
  url?: string | null;
  upload?: Promise<UploadedFile> | null;
}

/** An ImageInput after its upload (if any) was read: exactly one of base64, url or bytes. */
export interface ReceivedImageInput {
  base64?: string | null;
  url?: string | null;
  bytes?: Buffer | null;
}

/** Checks that exactly one source is given and reads an uploaded file into memory, refusing it past maxBytes. */
export async function receiveImageInput(input: ImageInputValue, limits: ImageLimits): Promise<ReceivedImageInput> {
  const given = [input.base64, input.url, input.upload].filter((part) => part != null).length;
  if (given !== 1) throw exactlyOne();
  if (input.upload == null) return { base64: input.base64 ?? null, url: input.url ?? null };
  return { bytes: await readUpload(input.upload, limits) };
}

export function exactlyOne() {
  return invalidInput('image', 'Give exactly one of image.base64, image.url or image.upload.', 'EXACTLY_ONE');
}

async function readUpload(upload: Promise<UploadedFile>, limits: ImageLimits): Promise<Buffer> {
  let stream: Readable;
  try {
    stream = (await upload).createReadStream();
  } catch (e) {
    throw refusedFile(e, limits);
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const refuse = (error: Error) => {
      // Not another byte is kept; the parser discards the rest of the file so that the answer can still be sent.
      stream.removeAllListeners('data');
      stream.resume();
      reject(error);
    };
    // The parser cuts the file one byte past maxBytes (src/server/uploads.ts) and says so.
    stream.once('limit', () => refuse(tooLarge(limits)));
    stream.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limits.maxBytes) return refuse(tooLarge(limits));
      chunks.push(chunk);
    });
    stream.once('error', (e) => refuse(refusedFile(e, limits)));
    stream.once('end', () => {
      if ((stream as Readable & { truncated?: boolean }).truncated) return reject(tooLarge(limits));
      resolve(Buffer.concat(chunks, received));
    });
  });
}

/** The parser's refusals carry an HTTP status: 413 for a file over the size limit. */
function refusedFile(e: unknown, limits: ImageLimits) {
  const status = (e as { status?: unknown } | null)?.status;
  if (status === 413) return tooLarge(limits);
  const reason =
    e instanceof Error && /multiple times/.test(e.message)
      ? 'the same file is mapped to more than one image.upload; send one file per image'
      : 'the file did not arrive complete';
  return invalidInput(FIELD, `image.upload could not be read: ${reason}.`, 'UPLOAD');
}
