// What the ledger keeps for Face.imageUrl (migration 5 in each dialect): the key that signs image URLs, shared by
// every replica on one ledger, and the images the gateway kept of faces registered at a cloud provider, which
// gives no image back. Kept images are content-addressed by the SHA-256 of the image as registered (the faces'
// image_sha256), so faces registered from one image share one, released when none of them is left.

export interface KeptImage {
  /** What was kept: a thumbnail (JPEG) or the image as registered. */
  bytes: Buffer;
  /**
   * The registered image's size after EXIF orientation, which the faces' bounding boxes are measured in: a
   * thumbnail's boxes are scaled by its own width over this one.
   */
  originalWidth: number;
  originalHeight: number;
}

export interface FaceImageRecords {
  /**
   * The key image URLs are signed with: made (32 random bytes) by the first replica that asks, read by the others,
   * so a URL one replica signed verifies on every replica of the ledger.
   */
  imageUrlSigningKey(): Promise<Buffer>;
  /** Keeps an image under its digest; a second put of one digest changes nothing. */
  putKeptImage(sha256: string, image: KeptImage): Promise<void>;
  keptImage(sha256: string): Promise<KeptImage | null>;
  /** Which of these digests have a kept image (one query for a page of faces). */
  keptImagesPresent(sha256s: readonly string[]): Promise<string[]>;
  removeKeptImage(sha256: string): Promise<void>;
  /** The digests of every kept image (for the start-up sweep of images no face references). */
  keptImageDigests(): Promise<string[]>;
}
