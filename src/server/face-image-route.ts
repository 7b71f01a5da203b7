import { trace } from '@opentelemetry/api';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { isFaceGraphError } from '../domain/errors';
import type { ImageCrop } from '../domain/image-url-signature';
import { IMAGE_URL_PATH, type FaceImageService, type RenderedImage } from '../services/face-images.service';
import { inActiveSpan } from './observability/spans';

// GET on a Face.imageUrl link. The signature is the credential (no API key: an <img> cannot send one); the Host
// check in front still applies. Answers are small JSON errors that never echo the link or its signature.

export const FACE_IMAGE_ROUTE = `${IMAGE_URL_PATH}/:faceId`;

const FACE_ID = /^[A-Za-z0-9_-]{1,512}$/;
/** A no-op unless tracing is on (Tracing registers the global provider). */
const tracer = () => trace.getTracer('facegraph.face-images');

/** Told of each thumbnail served (metrics). */
export interface ImageRenderObserver {
  thumbnailServed(fromCache: boolean): void;
}
const WHOLE_NUMBER = /^\d{1,12}$/;

export function faceImageHandler(
  faceImages: FaceImageService,
  logger: Logger,
  observer: ImageRenderObserver = { thumbnailServed: () => {} },
): RequestHandler {
  return async (req, res) => {
    const claims = claimsOf(req);
    const signature = typeof req.query.signature === 'string' ? req.query.signature : '';
    if (!claims) {
      return refuse(res, 403, 'This image link is not valid: ask for a new Face.imageUrl.', 'IMAGE_LINK_INVALID');
    }
    // WebP only when the client prefers it (a browser that lists it); JPEG for anything else, */* included.
    const format = req.accepts(['image/jpeg', 'image/webp']) === 'image/webp' ? 'webp' : 'jpeg';
    res.vary('Accept');
    try {
      const answer = await faceImages.open(claims, signature, format);
      if (answer.kind === 'refused') {
        return answer.reason === 'expired'
          ? refuse(res, 403, 'This image link has expired: ask for a new Face.imageUrl.', 'IMAGE_LINK_EXPIRED')
          : refuse(res, 403, 'This image link is not valid: ask for a new Face.imageUrl.', 'IMAGE_LINK_INVALID');
      }
      if (answer.kind === 'gone') return refuse(res, 404, 'This face, or its image, no longer exists.', 'NOT_FOUND');
      const secondsLeft = Math.max(0, answer.expires - Math.floor(Date.now() / 1000));
      // Private: the link is a credential for one caller's view; no shared cache should keep the face.
      res.set({ ETag: answer.etag, 'Cache-Control': `private, max-age=${secondsLeft}` });
      if (matchesEtag(req.get('if-none-match'), answer.etag)) return void res.status(304).end();
      const rendered = await tracedRender(answer.render, { maxSide: claims.maxSide, crop: claims.crop, format });
      if (!rendered) return refuse(res, 404, 'This face, or its image, no longer exists.', 'NOT_FOUND');
      observer.thumbnailServed(rendered.fromCache);
      const { bytes } = rendered;
      res
        .type(format === 'webp' ? 'image/webp' : 'image/jpeg')
        .set('X-Content-Type-Options', 'nosniff')
        .send(bytes);
    } catch (e) {
      if (isFaceGraphError(e) && e.detail.type === 'RateLimitedError') {
        res.set('Retry-After', '1');
        return refuse(res, 503, 'Too many images are being decoded just now; retry in a moment.', 'BUSY');
      }
      // No link, no signature, no bytes in the log: the failure's name only.
      logger.error({ failure: e instanceof Error ? e.name : 'unknown', path: IMAGE_URL_PATH }, 'face image failed');
      refuse(res, 500, 'Internal server error', 'INTERNAL_SERVER_ERROR');
    }
  };
}

/**
 * The render in a span of its own: the size, crop and format asked, whether the thumbnail cache had it and the
 * bytes' length. Never the face id, the link, its signature or the image.
 */
function tracedRender(
  render: () => Promise<RenderedImage | null>,
  asked: { maxSide: number; crop: ImageCrop; format: string },
): Promise<RenderedImage | null> {
  const attributes = {
    'facegraph.image.max_side': asked.maxSide,
    'facegraph.image.crop': asked.crop,
    'facegraph.image.format': asked.format,
  };
  return inActiveSpan(tracer(), 'face image render', attributes, async (span) => {
    const rendered = await render();
    span.setAttribute('facegraph.image.found', rendered !== null);
    if (rendered) {
      span.setAttribute('facegraph.image.thumbnail_cache', rendered.fromCache ? 'hit' : 'miss');
      span.setAttribute('facegraph.image.bytes', rendered.bytes.length);
    }
    return rendered;
  });
}

/**
 * The origin image links are made on: server.publicUrl when set (clients reach the server through a router or
 * proxy, whose address the server cannot see), else the one this request came to (its Host, checked already).
 */
export function imageLinkOrigin(publicUrl: string | undefined): (req: Request) => string {
  if (publicUrl) {
    const base = publicUrl.replace(/\/+$/, '');
    return () => base;
  }
  return (req) => `${req.protocol}://${req.get('host')}`;
}

function claimsOf(req: Request): { faceId: string; maxSide: number; crop: ImageCrop; expires: number } | null {
  const { maxSide, crop, expires } = req.query;
  const faceId = req.params.faceId;
  if (typeof faceId !== 'string' || !FACE_ID.test(faceId)) return null;
  if (typeof maxSide !== 'string' || !WHOLE_NUMBER.test(maxSide)) return null;
  if (typeof expires !== 'string' || !WHOLE_NUMBER.test(expires)) return null;
  if (crop !== 'NONE' && crop !== 'FACE') return null;
  return { faceId, maxSide: Number(maxSide), crop, expires: Number(expires) };
}

/**
 * If-None-Match (RFC 9110 13.1.2, weak comparison), without Express's req.fresh: that also asks the request to carry
 * no `Cache-Control: no-cache`, which fetch() adds to every conditional request, yet an origin server may still
 * answer 304 to it (no-cache is addressed to caches in between).
 */
function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

function refuse(res: Response, status: number, message: string, code: string): void {
  // Set already when the failure came while rendering: an error is no version of the image.
  res.removeHeader('ETag');
  res
    .status(status)
    .set('Cache-Control', 'no-store')
    .json({ errors: [{ message, extensions: { code } }] });
}
