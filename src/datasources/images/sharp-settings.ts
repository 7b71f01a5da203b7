import sharp from 'sharp';

/**
 * libvips settings for a server with bounded memory, applied in every thread that loads sharp (loading it
 * resets its operation cache to the 50 MB default). The cache only helps when the same image is processed
 * twice, which a server that checks each upload once never does. One libvips thread per image: decodes run
 * side by side in the decode pool and the face engine's workers, and sharp's own default on glibc is 1 too,
 * to keep the allocator from fragmenting.
 */
export function applySharpSettings(): void {
  sharp.cache(false);
  sharp.concurrency(1);
}
