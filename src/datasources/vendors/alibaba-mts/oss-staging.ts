import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { isFaceGraphError } from '../../../domain/errors';
import type { TransportObserver } from '../../http/transport';
import { HttpTransport } from '../../http/http-transport';
import type { HttpMethod, HttpResponse, SignableRequest } from '../../http/transport';
import { transportFailure } from '../../http/vendor-failure';
import type { ImageFormat, LoadedImage } from '../../images/image';
import { ossError } from './oss-errors';
import { httpDate, ossAuthorization, ossObjectUrl, presignObjectUrl, type OssAddressing } from './oss-signer';

// MTS RegisterCustomFace only downloads an ImageUrl. A base64 image is put in an OSS bucket under a key of its
// own (digest + random suffix), MTS gets a signed GET URL of short lifetime, and the object is deleted afterwards.

/** The provider's `imageStaging` config, validated. */
export interface OssStagingOptions {
  /** e.g. https://oss-cn-shanghai.aliyuncs.com */
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** Key prefix of staged objects (default 'facegraph-staging/'): the place for a lifecycle rule. */
  prefix: string;
  /** Lifetime of the signed GET URL given to MTS, 10-3600 s (default 300). */
  urlExpiresSeconds: number;
  /** 'virtual-hosted' (default): https://<bucket>.<endpoint host>/<key>; 'path': <endpoint>/<bucket>/<key>. */
  addressing: OssAddressing;
}

export interface StagedImage {
  key: string;
  /** The presigned GET URL: it carries a signature, so it is never logged. */
  url: string;
  /** Unix seconds after which the URL no longer works. */
  expires: number;
}

const EXTENSIONS: Record<ImageFormat, string> = {
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  bmp: 'bmp',
  tiff: 'tif',
};
const VENDOR_NAME = 'Alibaba OSS (image staging)';

/** Puts, signs and deletes staged images in one bucket, over the shared transport. */
export class OssImageStaging {
  private readonly transport: HttpTransport;

  constructor(
    private readonly providerId: string,
    private readonly options: OssStagingOptions,
    transport: { timeoutMs: number; observer?: TransportObserver },
    private readonly logger: Logger,
  ) {
    this.transport = new HttpTransport(
      {
        providerId,
        timeoutMs: transport.timeoutMs,
        observer: transport.observer,
        retry: { maxAttempts: 3, maxTotalMs: 30_000, baseBackoffMs: 200, maxBackoffMs: 2_000 },
        // OSS serves thousands of requests per second per bucket; each PUT is followed by an MTS call,
        // which is limited.
        ratePerSecond: null,
      },
      logger,
    );
  }

  /**
   * PUT the image at `<prefix><sha256>-<random>.<ext>` and sign a GET URL for it. The key is this registration's
   * alone, so no other registration (in this process or another replica) can delete it while MTS downloads it;
   * the digest in it tells an operator what it is.
   */
  async stage(image: LoadedImage): Promise<StagedImage> {
    const key = `${this.options.prefix}${image.sha256}-${randomBytes(6).toString('hex')}.${EXTENSIONS[image.format]}`;
    const md5 = createHash('md5').update(image.bytes).digest('base64');
    // A PUT of the same bytes at the same key is idempotent: the transport may retry it after a 5xx or a timeout.
    await this.send('PUT', key, 'store the image', { 'content-type': image.mimeType, 'content-md5': md5 }, image.bytes);
    const expires = Math.floor(Date.now() / 1000) + this.options.urlExpiresSeconds;
    const url = presignObjectUrl({
      endpoint: this.options.endpoint,
      addressing: this.options.addressing,
      bucket: this.options.bucket,
      key,
      expires,
      credentials: this.options,
    });
    return { key, url, expires };
  }

  /**
   * Done with a staged image: deletes it unless `keep`. Best effort: a failed delete is logged, never thrown; the
   * bucket's lifecycle rule removes leftovers.
   */
  async release(key: string, keep = false): Promise<void> {
    if (keep) return;
    try {
      await this.send('DELETE', key, 'delete the staged image', {});
    } catch (e) {
      const vendor = isFaceGraphError(e) && 'vendor' in e.detail ? e.detail.vendor : undefined;
      this.logger.warn(
        {
          operation: 'oss.DeleteObject',
          code: vendor?.code,
          httpStatus: vendor?.httpStatus,
          vendorRequestId: vendor?.requestId,
        },
        'a staged image could not be deleted; the bucket lifecycle rule will remove it',
      );
    }
  }

  close(): void {
    this.transport.close();
  }

  private async send(
    method: HttpMethod,
    key: string,
    operation: string,
    headers: Record<string, string>,
    body?: Buffer,
  ): Promise<HttpResponse> {
    const { bucket } = this.options;
    let response: HttpResponse;
    try {
      response = await this.transport.send({
        method,
        url: ossObjectUrl(this.options.endpoint, this.options.addressing, bucket, key).href,
        headers,
        body,
        idempotent: true,
        operation: method === 'PUT' ? 'oss.PutObject' : 'oss.DeleteObject',
        // A fresh Date per attempt: OSS refuses a request more than 15 minutes off its clock.
        sign: (req: SignableRequest) => {
          const date = httpDate(new Date());
          return {
            date,
            authorization: ossAuthorization({ method, bucket, key, headers: { ...req.headers, date } }, this.options),
          };
        },
      });
    } catch (e) {
      throw transportFailure(e, this.providerId, VENDOR_NAME);
    }
    if (response.status >= 200 && response.status < 300) return response;
    throw ossError(response, this.providerId, operation);
  }
}
