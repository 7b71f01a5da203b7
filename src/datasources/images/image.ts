// What the gateway knows about an image once it has been decoded and checked.

import type { DecodePoolSettings } from './decode-pool';

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'bmp' | 'tiff';

export interface LoadedImage {
  bytes: Buffer;
  format: ImageFormat;
  mimeType: string;
  width: number;
  height: number;
  /** Hex SHA-256 of `bytes`. */
  sha256: string;
}

export interface ImageLimits {
  /** Largest accepted encoded size in bytes. */
  maxBytes: number;
  /** Smallest accepted width and height in pixels. */
  minSide: number;
  /** Largest accepted width and height in pixels. */
  maxSide: number;
  /** The pool images are decoded in (DEFAULT_DECODE_POOL when not given). */
  decoding?: DecodePoolSettings;
}

export interface UrlFetchPolicy {
  /** Hosts or CIDR ranges that may be fetched although they are loopback/private (tests, intranets). */
  allowList: string[];
  timeoutMs: number;
  maxRedirects: number;
}

/** What a vendor is handed: the bytes, or (for vendors that fetch it themselves) only the URL. */
export type VendorImage = { kind: 'bytes'; image: LoadedImage } | { kind: 'url'; url: string };
