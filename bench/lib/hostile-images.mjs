// Hostile images for the hostile-images case: small files that declare huge images (decompression bombs),
// truncated huge images and TIFFs that declare sides or sample sizes no decoder should allocate for.
// tests/support/hostile-images.ts makes the same kinds for the tests.

import zlib from 'node:zlib';
import { requireFromRoot } from './util.mjs';

const sharp = requireFromRoot('sharp');
const SIDE = 8192;

const solid = (side = SIDE) => sharp({ create: { width: side, height: side, channels: 3, background: '#808080' } });

/**
 * A little-endian TIFF whose strips all point at one small deflate blob, so a few KB declare
 * width x height pixels of `samples` x `bits` each (8192 x 8192 x 4 x 16 bits: 512 MB of pixels in ~5 KB).
 */
export function stripBombTiff({ width, height, samples = 4, bits = 16, rowsPerStrip = 64 }) {
  const rowBytes = (width * samples * bits) / 8;
  const blob = zlib.deflateSync(Buffer.alloc(Math.min(rowBytes * rowsPerStrip, 4 << 20), 0x80), { level: 9 });
  const strips = Math.ceil(height / rowsPerStrip);
  const SHORT = 3;
  const LONG = 4;
  const entries = [
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
    ...(samples === 4 ? [[338, SHORT, [2]]] : []),
  ];
  const unit = (type) => (type === SHORT ? 2 : 4);
  const ifdAt = 8;
  let outOfLine = ifdAt + 2 + entries.length * 12 + 4;
  const placed = entries.map(([tag, type, values]) => {
    const bytes = values.length * unit(type);
    const at = bytes > 4 ? outOfLine : null;
    if (at !== null) outOfLine += bytes;
    return { tag, type, values, at };
  });
  const blobAt = outOfLine;
  placed.find((e) => e.tag === 273).values.fill(blobAt);
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

/** The twenty hostile images of the case, each with a short name (kinds repeat). */
export async function hostileImages() {
  const png1bit = await solid().png({ palette: true, colours: 2, compressionLevel: 9 }).toBuffer();
  const png = await solid().png({ compressionLevel: 9 }).toBuffer();
  const pngInterlaced = await solid().png({ compressionLevel: 9, progressive: true }).toBuffer();
  const jpeg = await solid().jpeg({ quality: 50 }).toBuffer();
  const jpegProgressive = await solid().jpeg({ progressive: true, chromaSubsampling: '4:4:4' }).toBuffer();
  const gif = await solid().gif().toBuffer();
  const webp = await solid().webp({ lossless: true }).toBuffer();
  const tiff = await solid().tiff({ compression: 'deflate' }).toBuffer();
  const kinds = [
    ['png 8192² 1-bit', png1bit],
    ['png 8192²', png],
    ['png 8192² interlaced', pngInterlaced],
    ['jpeg 8192²', jpeg],
    ['jpeg 8192² progressive 4:4:4', jpegProgressive],
    ['jpeg 8192² truncated to 4 KB', jpeg.subarray(0, 4096)],
    ['jpeg 8192² truncated to half', jpeg.subarray(0, jpeg.length >> 1)],
    ['gif 8192²', gif],
    ['webp 8192² lossless', webp],
    ['tiff 8192² deflate', tiff],
    ['tiff 8192² 16-bit RGBA strip bomb', stripBombTiff({ width: SIDE, height: SIDE })],
    ['tiff 1000000² declared', stripBombTiff({ width: 1e6, height: 1e6, samples: 3, bits: 8, rowsPerStrip: 65536 })],
  ];
  const twenty = [];
  for (let i = 0; twenty.length < 20; i++) twenty.push(kinds[i % kinds.length]);
  return twenty.map(([name, bytes]) => ({ name, bytes: Buffer.from(bytes) }));
}
