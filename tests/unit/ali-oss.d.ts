// The part of ali-oss@6 (no bundled types for its Node client) that the OSS signer and emulator tests use.
declare module 'ali-oss' {
  interface AliOssOptions {
    accessKeyId: string;
    accessKeySecret: string;
    bucket?: string;
    endpoint?: string;
    region?: string;
    /** path-style addressing: /<bucket>/<key> */
    sldEnable?: boolean;
    secure?: boolean;
    timeout?: number;
  }
  interface AliOssResult {
    res: { status: number; headers: Record<string, string> };
    content?: Buffer;
  }
  class OSS {
    constructor(options: AliOssOptions);
    authorization(method: string, resource: string, subres: unknown, headers: Record<string, string>): string;
    _getResource(params: { bucket: string; object: string }): string;
    signatureUrl(name: string, options?: { expires?: number; method?: string }): string;
    put(
      name: string,
      content: Buffer,
      options?: { mime?: string; headers?: Record<string, string> },
    ): Promise<AliOssResult>;
    get(name: string): Promise<AliOssResult>;
    delete(name: string): Promise<AliOssResult>;
  }
  export = OSS;
}
