/** In-memory buckets and their objects. Keys are kept exactly as stored (case-sensitive, UTF-8). */
import { createHash } from 'node:crypto';

export interface StoredObject {
  body: Buffer;
  contentType: string;
  /** `"<MD5 in upper-case hex>"`, as OSS gives it for a simple upload */
  etag: string;
  lastModified: Date;
}

export class OssState {
  /** bucket name → key → object (mutable: tests may inspect or seed directly) */
  readonly buckets = new Map<string, Map<string, StoredObject>>();

  createBucket(name: string): void {
    if (!this.buckets.has(name)) this.buckets.set(name, new Map());
  }

  object(bucket: string, key: string): StoredObject | undefined {
    return this.buckets.get(bucket)?.get(key);
  }

  /** The keys of a bucket, sorted (empty for an unknown bucket). */
  keys(bucket: string): string[] {
    return [...(this.buckets.get(bucket)?.keys() ?? [])].sort();
  }

  put(bucket: string, key: string, body: Buffer, contentType: string, at: Date): StoredObject {
    const object = {
      body,
      contentType,
      etag: `"${createHash('md5').update(body).digest('hex').toUpperCase()}"`,
      lastModified: at,
    };
    this.buckets.get(bucket)?.set(key, object);
    return object;
  }

  delete(bucket: string, key: string): void {
    this.buckets.get(bucket)?.delete(key);
  }

  /** Empties every bucket (the buckets stay). */
  reset(): void {
    for (const objects of this.buckets.values()) objects.clear();
  }
}
