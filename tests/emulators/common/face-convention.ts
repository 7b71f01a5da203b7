/**
 * The emulators' shared deterministic "face detection" (it is not a face engine):
 * - Tiles: an image at least twice as wide as high is a "group photo" of floor(width/height) square
 *   tiles (side = height, left to right, the remainder ignored); any other image is one tile.
 * - A tile holds exactly one face whose box is the central 50% of the tile (x + w/4, h/4, w/2, h/2),
 *   UNLESS the tile's top-left 8×8 block is black (every RGB channel averages ≤ 16): then no face.
 * - Fingerprint: the face box in grey (0.299R + 0.587G + 0.114B) averaged down to 16×16;
 *   similarity(a, b) = max(0, 1 − RMSE(a, b) / 64).
 * Accepted formats, limits, minimum face sizes and errors are each vendor's own (see their images.ts).
 */
import sharp from 'sharp';

export const FINGERPRINT_SIDE = 16;
const CORNER = 8;
const BLACK_LEVEL = 16;

export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'bmp';

export interface RawImage {
  width: number;
  height: number;
  /** RGB, 3 bytes per pixel, row-major, top row first */
  rgb: Buffer;
}

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The format by magic bytes; each vendor accepts only some of them. */
export function sniffFormat(bytes: Buffer): ImageFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'png';
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(bytes.subarray(0, 6).toString('latin1'))) return 'gif';
  if (bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d) return 'bmp';
  return undefined;
}

/**
 * Decodes to RGB (BMP by the built-in decoder, the rest by sharp, first frame only); `fail` throws the vendor's
 * error.
 */
export async function decodeImage(bytes: Buffer, format: ImageFormat, fail: (why: string) => never): Promise<RawImage> {
  if (format === 'bmp') return decodeBmp(bytes, fail);
  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    decoded = await sharp(bytes, { failOn: 'error', pages: 1 })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch {
    return fail(`the ${format} image can not be decoded`);
  }
  const { data, info } = decoded;
  if (info.channels === 3) return { width: info.width, height: info.height, rgb: data };
  const rgb = Buffer.alloc(info.width * info.height * 3);
  for (let p = 0; p < info.width * info.height; p++) {
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = data[p * info.channels + Math.min(c, info.channels - 1)] as number;
  }
  return { width: info.width, height: info.height, rgb };
}

/** Uncompressed 24/32-bit BMP (BI_RGB, or BI_BITFIELDS with the usual BGRA masks). */
export function decodeBmp(bytes: Buffer, fail: (why: string) => never): RawImage {
  if (bytes.length < 54) fail('bmp header truncated');
  const dataOffset = bytes.readUInt32LE(10);
  const width = bytes.readInt32LE(18);
  const rawHeight = bytes.readInt32LE(22);
  const bpp = bytes.readUInt16LE(28);
  const compression = bytes.readUInt32LE(30);
  if (width <= 0 || rawHeight === 0) fail('bmp has no pixels');
  if (!(bpp === 24 || bpp === 32) || !(compression === 0 || (compression === 3 && bpp === 32))) {
    fail(`bmp variant (${bpp} bit, compression ${compression}) is not supported by the emulator`);
  }
  const height = Math.abs(rawHeight);
  const topDown = rawHeight < 0;
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  if (dataOffset + stride * height > bytes.length) fail('bmp pixel data truncated');
  const step = bpp / 8;
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + stride * (topDown ? y : height - 1 - y);
    for (let x = 0; x < width; x++) {
      const src = row + x * step;
      const dst = (y * width + x) * 3;
      rgb[dst] = bytes[src + 2] as number;
      rgb[dst + 1] = bytes[src + 1] as number;
      rgb[dst + 2] = bytes[src] as number;
    }
  }
  return { width, height, rgb };
}

function cornerIsBlack(img: RawImage, x0: number, side: number): boolean {
  const n = Math.max(1, Math.min(CORNER, side));
  const sums = [0, 0, 0];
  for (let y = 0; y < n; y++) {
    for (let x = x0; x < x0 + n; x++) {
      const i = (y * img.width + x) * 3;
      for (let c = 0; c < 3; c++) sums[c] = (sums[c] as number) + (img.rgb[i + c] as number);
    }
  }
  return sums.every((s) => s / (n * n) <= BLACK_LEVEL);
}

/** The face boxes by the tile convention, left to right. */
export function faceBoxes(img: RawImage): Box[] {
  const tiles = img.width >= 2 * img.height ? Math.floor(img.width / img.height) : 1;
  const tileWidth = tiles === 1 ? img.width : img.height;
  const boxes: Box[] = [];
  for (let t = 0; t < tiles; t++) {
    const x0 = t * tileWidth;
    if (cornerIsBlack(img, x0, Math.min(tileWidth, img.height))) continue;
    boxes.push({
      left: x0 + Math.floor(tileWidth / 4),
      top: Math.floor(img.height / 4),
      width: Math.floor(tileWidth / 2),
      height: Math.floor(img.height / 2),
    });
  }
  return boxes;
}

export function fingerprint(img: RawImage, box: Box): Uint8Array {
  const out = new Uint8Array(FINGERPRINT_SIDE * FINGERPRINT_SIDE);
  for (let j = 0; j < FINGERPRINT_SIDE; j++) {
    const y0 = box.top + Math.floor((j * box.height) / FINGERPRINT_SIDE);
    const y1 = Math.max(y0 + 1, box.top + Math.floor(((j + 1) * box.height) / FINGERPRINT_SIDE));
    for (let i = 0; i < FINGERPRINT_SIDE; i++) {
      const x0 = box.left + Math.floor((i * box.width) / FINGERPRINT_SIDE);
      const x1 = Math.max(x0 + 1, box.left + Math.floor(((i + 1) * box.width) / FINGERPRINT_SIDE));
      let sum = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const p = (y * img.width + x) * 3;
          sum +=
            0.299 * (img.rgb[p] as number) + 0.587 * (img.rgb[p + 1] as number) + 0.114 * (img.rgb[p + 2] as number);
        }
      }
      out[j * FINGERPRINT_SIDE + i] = Math.round(sum / ((y1 - y0) * (x1 - x0)));
    }
  }
  return out;
}

/** max(0, 1 − RMSE / 64), rounded to `decimals`. */
export function similarity(a: Uint8Array, b: Uint8Array, decimals: number): number {
  let sq = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    sq += d * d;
  }
  const rmse = Math.sqrt(sq / a.length);
  const scale = 10 ** decimals;
  return Math.round(Math.max(0, 1 - rmse / 64) * scale) / scale;
}
