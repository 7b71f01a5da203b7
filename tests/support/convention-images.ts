import sharp from 'sharp';

// Pictures for the emulators' face convention (tests/emulators/common/face-convention.ts): a textured square is
// one "face", seeds are different "people", a black top-left corner means "no face". Encoded once per test file.

/** RGB bytes of a smooth texture; different seeds give pictures the emulators tell apart. */
export function pattern(seed: number, width: number, height: number): Buffer {
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = 128 + 100 * Math.sin((x * (seed + 1)) / 23 + (y * (seed + 2)) / 31 + seed);
      const i = (y * width + x) * 3;
      rgb[i] = Math.round(v);
      rgb[i + 1] = Math.round(255 - v);
      rgb[i + 2] = Math.round((v + 60) % 256);
    }
  }
  return rgb;
}

/** Blackens the 16×16 corner at column x0: the convention's "no face here". */
export function blackCorner(rgb: Buffer, width: number, x0 = 0): Buffer {
  for (let y = 0; y < 16; y++)
    for (let x = x0; x < x0 + 16; x++) rgb.fill(0, (y * width + x) * 3, (y * width + x) * 3 + 3);
  return rgb;
}

export function encode(
  rgb: Buffer,
  width: number,
  height: number,
  format: 'jpeg' | 'png',
  quality = 90,
): Promise<Buffer> {
  const img = sharp(rgb, { raw: { width, height, channels: 3 } });
  return format === 'jpeg' ? img.jpeg({ quality }).toBuffer() : img.png().toBuffer();
}

const images = new Map<string, Promise<Buffer>>();
function cached(key: string, make: () => Promise<Buffer>): Promise<Buffer> {
  let hit = images.get(key);
  if (!hit) {
    hit = make();
    images.set(key, hit);
  }
  return hit;
}

/** One face (a `side`-pixel textured square); different seeds are different "people". */
export const face = (seed: number, format: 'jpeg' | 'png' = 'jpeg', quality = 90, side = 240) =>
  cached(`face:${seed}:${format}:${quality}:${side}`, () =>
    encode(pattern(seed, side, side), side, side, format, quality),
  );

export const noFace = () => cached('noface', () => encode(blackCorner(pattern(1, 240, 240), 240), 240, 240, 'png'));

/** `tiles` faces side by side (seeds 1..n, 200 px tiles); tiles listed in `blank` get a black corner (no face). */
export function groupPhoto(tiles: number, blank: number[] = []): Promise<Buffer> {
  return cached(`group:${tiles}:${blank.join(',')}`, () => {
    const side = 200;
    const width = side * tiles;
    const rgb = Buffer.alloc(width * side * 3);
    for (let t = 0; t < tiles; t++) {
      const tile = pattern(t + 1, side, side);
      for (let y = 0; y < side; y++) tile.copy(rgb, (y * width + t * side) * 3, y * side * 3, (y + 1) * side * 3);
      if (blank.includes(t)) blackCorner(rgb, width, t * side);
    }
    return encode(rgb, width, side, 'png');
  });
}

/** 24-bit bottom-up BMP (the emulators decode BMP themselves). */
export function bmp(rgb: Buffer, width: number, height: number): Buffer {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const out = Buffer.alloc(54 + stride * height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  for (let y = 0; y < height; y++) {
    const row = 54 + stride * (height - 1 - y);
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      out[row + x * 3] = rgb[s + 2] as number;
      out[row + x * 3 + 1] = rgb[s + 1] as number;
      out[row + x * 3 + 2] = rgb[s] as number;
    }
  }
  return out;
}
