import fs from 'node:fs';
import zlib from 'node:zlib';
import sharp from 'sharp';

// Hostile images: small files that declare huge images. bench/lib/hostile-images.mjs makes the same kinds.

export const BOMB_SIDE = 8192;

export function solidImage(side = BOMB_SIDE, channels: 3 | 4 = 3): sharp.Sharp {
  return sharp({ create: { width: side, height: side, channels, background: '#808080' } });
}

export interface StripBombOptions {
  width: number;
  height: number;
  samples?: number;
  bits?: 8 | 16;
  rowsPerStrip?: number;
}

/**
 * A little-endian TIFF whose strips all point at one small deflate blob, so a few KB declare
 * width x height pixels of `samples` x `bits` each (8192 x 8192 x 4 x 16 bits: 512 MB of pixels in ~5 KB).
 */
export function stripBombTiff({ width, height, samples = 4, bits = 16, rowsPerStrip = 64 }: StripBombOptions): Buffer {
  const rowBytes = (width * samples * bits) / 8;
  const blob = zlib.deflateSync(Buffer.alloc(Math.min(rowBytes * rowsPerStrip, 4 << 20), 0x80), { level: 9 });
  const strips = Math.ceil(height / rowsPerStrip);
  const SHORT = 3;
  const LONG = 4;
  const entries: [tag: number, type: number, values: number[]][] = [
    [256, LONG, [width]],
    [257, LONG, [height]],
    [258, SHORT, Array(samples).fill(bits)],
    [259, SHORT, [8]], // deflate
    [262, SHORT, [samples >= 3 ? 2 : 1]],
    [273, LONG, Array(strips).fill(0)], // strip offsets, set below
    [277, SHORT, [samples]],
    [278, LONG, [rowsPerStrip]],
    [279, LONG, Array(strips).fill(blob.length)],
    [284, SHORT, [1]],
    ...(samples === 4 ? [[338, SHORT, [2]] as [number, number, number[]]] : []),
  ];
  const unit = (type: number) => (type === SHORT ? 2 : 4);
  const ifdAt = 8;
  let outOfLine = ifdAt + 2 + entries.length * 12 + 4;
  const placed = entries.map(([tag, type, values]) => {
    const bytes = values.length * unit(type);
    const at = bytes > 4 ? outOfLine : null;
    if (at !== null) outOfLine += bytes;
    return { tag, type, values, at };
  });
  const blobAt = outOfLine;
  placed.find((e) => e.tag === 273)!.values.fill(blobAt);
  const tiff = Buffer.alloc(blobAt + blob.length);
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(ifdAt, 4);
  tiff.writeUInt16LE(placed.length, ifdAt);
  placed.forEach(({ tag, type, values, at }, i) => {
    const entry = ifdAt + 2 + i * 12;
    tiff.writeUInt16LE(tag, entry);
    tiff.writeUInt16LE(type, entry + 2);
    tiff.writeUInt32LE(values.length, entry + 4);
    const base = at ?? entry + 8;
    if (at !== null) tiff.writeUInt32LE(at, entry + 8);
    values.forEach((v, j) => {
      if (type === SHORT) tiff.writeUInt16LE(v, base + j * 2);
      else tiff.writeUInt32LE(v, base + j * 4);
    });
  });
  blob.copy(tiff, blobAt);
  return tiff;
}

export interface HostileImage {
  name: string;
  bytes: Buffer;
}

/** One of each kind of hostile image (8192 x 8192 unless named otherwise). */
export async function hostileImageKinds(): Promise<HostileImage[]> {
  const jpeg = await solidImage().jpeg({ quality: 50 }).toBuffer();
  return [
    {
      name: 'png 1-bit',
      bytes: await solidImage().png({ palette: true, colours: 2, compressionLevel: 9 }).toBuffer(),
    },
    { name: 'png', bytes: await solidImage().png({ compressionLevel: 9 }).toBuffer() },
    { name: 'png interlaced', bytes: await solidImage().png({ compressionLevel: 9, progressive: true }).toBuffer() },
    { name: 'jpeg', bytes: jpeg },
    {
      name: 'jpeg progressive 4:4:4',
      bytes: await solidImage().jpeg({ quality: 50, progressive: true, chromaSubsampling: '4:4:4' }).toBuffer(),
    },
    { name: 'jpeg truncated to 4 KB', bytes: Buffer.from(jpeg.subarray(0, 4096)) },
    { name: 'jpeg truncated to half', bytes: Buffer.from(jpeg.subarray(0, jpeg.length >> 1)) },
    { name: 'gif', bytes: await solidImage().gif().toBuffer() },
    { name: 'webp lossless', bytes: await solidImage().webp({ lossless: true }).toBuffer() },
    { name: 'tiff deflate', bytes: await solidImage().tiff({ compression: 'deflate' }).toBuffer() },
    { name: 'tiff 16-bit RGBA strip bomb', bytes: stripBombTiff({ width: BOMB_SIDE, height: BOMB_SIDE }) },
    {
      name: 'tiff declaring 1000000 x 1000000',
      bytes: stripBombTiff({ width: 1_000_000, height: 1_000_000, samples: 3, bits: 8, rowsPerStrip: 65536 }),
    },
  ];
}

/** Twenty hostile images, the kinds in turn. */
export async function twentyHostileImages(): Promise<HostileImage[]> {
  const kinds = await hostileImageKinds();
  return Array.from({ length: 20 }, (_, i) => kinds[i % kinds.length]!);
}

/**
 * Peak resident memory added while `work` runs, in bytes: the kernel's high-water mark (VmHWM) is reset
 * first (Linux: /proc/self/clear_refs), so earlier peaks do not hide this one.
 */
export async function peakRssGrowth<T>(work: () => Promise<T>): Promise<{ result: T | Error; bytes: number }> {
  fs.writeFileSync('/proc/self/clear_refs', '5');
  const before = statusKb('VmRSS');
  let result: T | Error;
  try {
    result = await work();
  } catch (e) {
    result = e as Error;
  }
  return { result, bytes: (statusKb('VmHWM') - before) * 1024 };
}

function statusKb(field: 'VmRSS' | 'VmHWM'): number {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]);
}
