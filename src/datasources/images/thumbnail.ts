import sharp from 'sharp';
import type { BoundingBox } from '../../domain/model';
import { decodePoolFor, type DecodePoolSettings } from './decode-pool';
import type { LoadedImage } from './image';
import { applySharpSettings } from './sharp-settings';

applySharpSettings();

// Smaller images of stored faces, made with sharp in the process's bounded decode pool (the same turns as the
// decodes of incoming images, so thumbnails and uploads together never decode more images at once than allowed).

export type ThumbnailFormat = 'jpeg' | 'webp';

/** Longer side of the thumbnail kept of a cloud face (images.keep: thumbnail). */
export const KEPT_THUMBNAIL_SIDE = 256;
/**
 * crop: FACE shows the bounding box with this fraction of its width (and height) added on each side, so the crop
 * is 1.5 times the box each way: detectors draw the box tight around brow, cheeks and chin, and a face cut there
 * looks cropped; with the margin the whole head shows.
 */
export const FACE_CROP_MARGIN = 0.25;
const QUALITY = 80;

export interface ThumbnailRequest {
  maxSide: number;
  format: ThumbnailFormat;
  /**
   * Where the face is (null: show the whole image), in the pixels of the registered image, which was
   * `boxImageWidth` wide when this one is a thumbnail of it (null: this is the registered image).
   */
  face: { box: BoundingBox; boxImageWidth: number | null } | null;
}

/** The image as stored (any accepted format, EXIF-oriented here), cut and shrunk as asked; never enlarged. */
export function renderThumbnail(
  bytes: Buffer,
  request: ThumbnailRequest,
  decoding?: DecodePoolSettings,
): Promise<Buffer> {
  return decodePoolFor(decoding).run(async () => {
    // autoOrient: the boxes are measured on the upright image, as every vendor sees it.
    const { width, height } = await sharp(bytes, { autoOrient: true })
      .metadata()
      .then((m) => m.autoOrient ?? m);
    let pipeline = sharp(bytes, { autoOrient: true });
    const face = request.face;
    const region = face && faceRegion(face.box, width, height, face.boxImageWidth ? width / face.boxImageWidth : 1);
    if (region) pipeline = pipeline.extract(region);
    pipeline = pipeline.resize({
      width: request.maxSide,
      height: request.maxSide,
      fit: 'inside',
      withoutEnlargement: true,
    });
    return request.format === 'webp'
      ? pipeline.webp({ quality: QUALITY }).toBuffer()
      : pipeline.jpeg({ quality: QUALITY }).toBuffer();
  });
}

/** What images.keep: thumbnail keeps of a registered image: an upright JPEG of at most KEPT_THUMBNAIL_SIDE px. */
export function keptThumbnail(image: LoadedImage, decoding?: DecodePoolSettings): Promise<Buffer> {
  return renderThumbnail(image.bytes, { maxSide: KEPT_THUMBNAIL_SIDE, format: 'jpeg', face: null }, decoding);
}

/**
 * The box (measured on an image `scale` times the size of this one) with FACE_CROP_MARGIN around it, within the
 * image; null when nothing of it is inside (a box from another image version), so the whole image is shown.
 */
export function faceRegion(box: BoundingBox, width: number, height: number, scale: number) {
  const marginX = box.width * FACE_CROP_MARGIN;
  const marginY = box.height * FACE_CROP_MARGIN;
  const left = Math.max(0, Math.floor((box.x - marginX) * scale));
  const top = Math.max(0, Math.floor((box.y - marginY) * scale));
  const right = Math.min(width, Math.ceil((box.x + box.width + marginX) * scale));
  const bottom = Math.min(height, Math.ceil((box.y + box.height + marginY) * scale));
  if (right - left < 1 || bottom - top < 1) return null;
  return { left, top, width: right - left, height: bottom - top };
}
