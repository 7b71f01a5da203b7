import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { decodeGlobalId, faceId as faceGlobalId } from '../domain/global-id';
import {
  imageUrlExpiry,
  signImageUrl,
  verifyImageUrl,
  type ImageCrop,
  type ImageUrlClaims,
} from '../domain/image-url-signature';
import type { FaceRecord } from '../domain/model';
import type { DecodePoolSettings } from '../datasources/images/decode-pool';
import { renderThumbnail, type ThumbnailFormat } from '../datasources/images/thumbnail';
import type { LedgerStore } from '../datasources/ledger/ledger-store';
import type { ProviderRegistry } from './provider-registry';

// Face.imageUrl and what answers it: signed links to thumbnails of the image a face was registered from (LOCAL's
// own stored image, or what the gateway kept of a cloud face: see StoredImages.keep).

export type ImageKeepMode = 'thumbnail' | 'full' | 'none';

export interface FaceImageSettings {
  keep: ImageKeepMode;
  urlTtlSeconds: number;
  /** From the config; absent: the ledger's (made once, shared by every replica). */
  urlSigningKey?: string;
  /** Memory for rendered thumbnails (per replica); 0: none kept. */
  thumbnailCacheBytes: number;
  decoding?: DecodePoolSettings;
}

/** Where the server answers image links: `${IMAGE_URL_PATH}/<face id>?maxSide=&crop=&expires=&signature=`. */
export const IMAGE_URL_PATH = '/images/faces';
export const MAX_SIDE_RANGE = { min: 16, max: 1024 } as const;

/** What a GET on an image link gets. */
export type FaceImageAnswer =
  | { kind: 'refused'; reason: 'bad-signature' | 'expired' }
  | { kind: 'gone' }
  | { kind: 'image'; etag: string; expires: number; render(): Promise<RenderedImage | null> };

/** A thumbnail's bytes, and whether they came from the thumbnail cache (for metrics). */
export interface RenderedImage {
  bytes: Buffer;
  fromCache: boolean;
}

/** A thumbnail is rendered from the stored image at most once per (image, size, crop box, format) while cached. */
export class FaceImageService {
  private signingKey: Promise<Buffer> | null = null;
  private readonly thumbnails: LRUCache<string, Buffer> | null;

  constructor(
    private readonly ledger: LedgerStore,
    private readonly providers: ProviderRegistry,
    private readonly settings: FaceImageSettings,
  ) {
    // Bounded by bytes, not entries: a 1024 px WebP weighs a hundred times a 64 px JPEG.
    this.thumbnails =
      settings.thumbnailCacheBytes > 0
        ? new LRUCache({ maxSize: settings.thumbnailCacheBytes, sizeCalculation: (bytes) => bytes.length })
        : null;
  }

  /**
   * Whether the face has an image to link to: LOCAL's stored one, or one the gateway kept (`isKept` tells, batched by
   * the caller over a page of faces).
   */
  async hasImage(face: FaceRecord, isKept: (sha256: string) => Promise<boolean>): Promise<boolean> {
    if (!face.imageSha256) return false;
    // A provider gone from the config leaves its faces in the ledger: what the gateway kept of them still shows.
    if (this.providers.find(face.providerId)?.readImage) return true;
    return isKept(face.imageSha256);
  }

  /** A signed link on `origin` (scheme://host[:port][/path]; null: a relative link), valid for images.urlTtlSeconds. */
  async imageUrl(
    face: FaceRecord,
    maxSide: number,
    crop: ImageCrop,
    origin: string | null,
    nowMs = Date.now(),
  ): Promise<string> {
    const claims: ImageUrlClaims = {
      faceId: faceGlobalId(face.providerId, face.libraryName, face.vendorFaceId),
      maxSide,
      crop,
      expires: imageUrlExpiry(Math.floor(nowMs / 1000), this.settings.urlTtlSeconds),
    };
    const signature = signImageUrl(await this.key(), claims);
    const query = new URLSearchParams({ maxSide: String(maxSide), crop, expires: String(claims.expires), signature });
    return `${(origin ?? '').replace(/\/+$/, '')}${IMAGE_URL_PATH}/${claims.faceId}?${query}`;
  }

  /** Checks a link (signature, then expiry, then that the face and its image still exist) for one GET. */
  async open(
    claims: ImageUrlClaims,
    signature: string,
    format: ThumbnailFormat,
    nowMs = Date.now(),
  ): Promise<FaceImageAnswer> {
    const verdict = verifyImageUrl(await this.key(), claims, signature, Math.floor(nowMs / 1000));
    if (verdict !== 'valid') return { kind: 'refused', reason: verdict };
    const face = await this.faceOf(claims.faceId);
    if (!face?.imageSha256) return { kind: 'gone' };
    const sha256 = face.imageSha256;
    const vendor = this.providers.find(face.providerId);
    const local = Boolean(vendor?.readImage);
    // LOCAL keeps the image of every face row it has; a kept image may be missing (keep: none at registration).
    if (!local && (await this.ledger.faceImages.keptImagesPresent([sha256])).length === 0) return { kind: 'gone' };
    const box = claims.crop === 'FACE' ? face.boundingBox : null;
    // The stored bytes are read only to render: an ETag match or a cached thumbnail never reads them.
    const boxText = box ? `${box.x},${box.y},${box.width},${box.height}` : 'whole';
    const cacheKey = [sha256, local ? 'local' : 'kept', claims.maxSide, boxText, format].join('|');
    const etag = `"${createHash('sha256').update(cacheKey).digest('base64url').slice(0, 32)}"`;
    const render = async (): Promise<RenderedImage | null> => {
      const cached = this.thumbnails?.get(cacheKey);
      if (cached) return { bytes: cached, fromCache: true };
      const source = local
        ? // LOCAL's image is the registered one: its boxes are in its own pixels.
          await vendor!.readImage!(sha256).then((bytes) => bytes && { bytes, boxImageWidth: null })
        : await this.ledger.faceImages
            .keptImage(sha256)
            .then((kept) => kept && { bytes: kept.bytes, boxImageWidth: kept.originalWidth });
      // Released since the check above (the face deleted meanwhile).
      if (!source) return null;
      const rendered = await renderThumbnail(
        source.bytes,
        {
          maxSide: claims.maxSide,
          format,
          // A face without a box (an Azure face registered without LARGEST, one imported by syncLibrary) shows whole.
          face: box ? { box, boxImageWidth: source.boxImageWidth } : null,
        },
        this.settings.decoding,
      );
      this.thumbnails?.set(cacheKey, rendered);
      return { bytes: rendered, fromCache: false };
    };
    return { kind: 'image', etag, expires: claims.expires, render };
  }

  private async faceOf(rawFaceId: string): Promise<FaceRecord | null> {
    let id;
    try {
      id = decodeGlobalId(rawFaceId, 'Face', 'faceId');
    } catch {
      return null;
    }
    const [library] = await this.ledger.librariesByKey([{ providerId: id.providerId, name: id.library }]);
    if (!library) return null;
    const [face] = await this.ledger.facesByKey([{ libraryRowId: library.rowId, vendorFaceId: id.face }]);
    return face;
  }

  private key(): Promise<Buffer> {
    if (this.settings.urlSigningKey) return Promise.resolve(Buffer.from(this.settings.urlSigningKey, 'utf8'));
    // Read once per process; a failed read (ledger unavailable) is retried by the next link.
    if (this.signingKey) return this.signingKey;
    const key = this.ledger.faceImages.imageUrlSigningKey().catch((e: unknown) => {
      this.signingKey = null;
      throw e;
    });
    this.signingKey = key;
    return key;
  }
}
