/**
 * POP error answers: HTTP status + `{RequestId, HostId, Code, Message, Recommend}` (notes §6).
 * Face-specific failures are `InvalidParameter` with an `errorMsg:` text of the emulator's own (the notes
 * document only `InvalidParameter "errorMsg:%s"` and `InternalError "errorMsg:%s"` for the face APIs).
 */

export class MtsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'MtsError';
  }
}

const e = (status: number, code: string, message: string): MtsError => new MtsError(status, code, message);

export const Errors = {
  // --- gateway: request shape and API resolution
  missing: (param: string) => e(400, `Missing${param}`, `${param} is mandatory for this action.`),
  apiNotFound: () => e(404, 'InvalidApi.NotFound', 'Specified api is not found, please check your url and method.'),
  invalidVersion: () => e(400, 'InvalidVersion', 'Specified parameter Version is not valid.'),
  // --- gateway: authentication
  accessKeyNotFound: () => e(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.'),
  signatureMismatch: (stringToSign: string) =>
    e(
      400,
      'SignatureDoesNotMatch',
      `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}`,
    ),
  incompleteSignature: (why: string) =>
    e(400, 'IncompleteSignature', `The request signature does not conform to Aliyun standards. ${why}`),
  signatureMethod: (value: string) =>
    e(400, 'InvalidSignatureMethod', `Specified signature method "${value}" is not supported.`),
  timestampFormat: () => e(400, 'InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted.'),
  timestampExpired: () => e(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.'),
  nonceUsed: () => e(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.'),
  throttlingUser: () => e(400, 'Throttling.User', 'Request was denied due to user flow control.'),
  // --- MTS
  invalidParameter: (text: string) => e(400, 'InvalidParameter', `errorMsg:${text}`),
  internal: (text = 'internal error') => e(500, 'InternalError', `errorMsg:${text}`),
};

/** Default message per code (fault injection with only a status or a code). */
export const DEFAULT_MESSAGES: Record<string, string> = {
  'Throttling.User': 'Request was denied due to user flow control.',
  'Throttling.Api': 'Request was denied due to api flow control.',
  Throttling: 'Request was denied due to request throttling.',
  'Forbidden.RAM': "User not authorized to operate on the specified resource, or this API doesn't support RAM.",
  'InvalidApi.NotFound': 'Specified api is not found, please check your url and method.',
  ServiceUnavailable: 'The request has failed due to a temporary failure of the server.',
  InternalError: 'The operation has failed due to some unknown error, exception or failure.',
  InvalidParameter: 'errorMsg:injected fault',
  'InvalidAccessKeyId.NotFound': 'Specified access key is not found.',
  'InvalidAccessKeyId.Inactive': 'Specified access key is disabled.',
  'InvalidIdentity.ServiceDisabled': 'The request identity was not allowed operated.',
};

export function defaultFaultCode(status: number): string {
  if (status === 400 || status === 429) return 'Throttling.User';
  if (status === 403) return 'Forbidden.RAM';
  if (status === 404) return 'InvalidApi.NotFound';
  if (status === 503) return 'ServiceUnavailable';
  if (status >= 500) return 'InternalError';
  return 'InvalidParameter';
}

export interface ErrorBody {
  RequestId: string;
  HostId: string;
  Code: string;
  Message: string;
  Recommend: string;
}

export function errorBody(code: string, message: string, requestId: string, hostId: string): ErrorBody {
  return {
    RequestId: requestId,
    HostId: hostId,
    Code: code,
    Message: message,
    Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(code)}&product=Mts&requestId=${requestId}`,
  };
}
