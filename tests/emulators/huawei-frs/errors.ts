/**
 * FRS / API-gateway error catalogue of the emulator.
 *
 * Every entry records the HTTP status, the `error_msg` template and whether that message text was
 * seen verbatim in the research notes (`docs/vendors/huawei-frs.md` §6, plus the API-gateway FAQ
 * for the APIGW.0301 texts). Entries with `verbatim: false` carry an emulator-written message in the
 * vendor's style: clients must branch on `error_code` (and status), never on the message text.
 */

export type FrsErrorCode =
  | 'FRS.0002'
  | 'FRS.0010'
  | 'FRS.0011'
  | 'FRS.0012'
  | 'FRS.0013'
  | 'FRS.0014'
  | 'FRS.0015'
  | 'FRS.0016'
  | 'FRS.0017'
  | 'FRS.0018'
  | 'FRS.0021'
  | 'FRS.0022'
  | 'FRS.0028'
  | 'FRS.0032'
  | 'FRS.0033'
  | 'FRS.0301'
  | 'FRS.0302'
  | 'FRS.0303'
  | 'FRS.0304'
  | 'FRS.0305'
  | 'FRS.0306'
  | 'FRS.0401'
  | 'FRS.0402'
  | 'FRS.0403'
  | 'FRS.0404'
  | 'FRS.0407';

export interface CatalogueEntry {
  status: number;
  /** `%s` is replaced by the detail given at the throw site (or removed with its separator). */
  message: string;
  /** true when the message text itself is documented (notes §6 / doc examples / error centre). */
  verbatim: boolean;
  /** true when the HTTP status is marked UNVERIFIED in the notes and was chosen by the emulator. */
  statusChosen?: boolean;
}

export const FRS_ERRORS: Record<FrsErrorCode, CatalogueEntry> = {
  'FRS.0002': { status: 403, message: 'The authentication token is abnormal.', verbatim: true },
  'FRS.0010': { status: 400, message: 'Lack Header or Header %s is empty.', verbatim: true },
  'FRS.0011': {
    status: 400,
    message: 'Lack the request parameter, or the request parameter %s is empty.',
    verbatim: true,
  },
  'FRS.0012': { status: 400, message: 'The request param has wrong format, %s', verbatim: true },
  'FRS.0013': { status: 400, message: 'The image size is out of range, %s.', verbatim: false },
  'FRS.0014': { status: 400, message: 'The JSON format of the input data is incorrect.', verbatim: true },
  'FRS.0015': { status: 400, message: 'Decode the base64 image failed.', verbatim: false },
  'FRS.0016': { status: 400, message: 'The image format is not supported, %s.', verbatim: false },
  'FRS.0017': { status: 400, message: 'The size of the request body is out of the range %s.', verbatim: true },
  'FRS.0018': { status: 500, message: 'The service inner error.', verbatim: true },
  'FRS.0021': { status: 400, message: 'The URL is invalid.', verbatim: true },
  'FRS.0022': { status: 400, message: 'Get the image from OBS failed, %s.', verbatim: false, statusChosen: true },
  // 403 is shown for FRS.0028 on the zh error-code page (corpus search, not in the notes' table).
  'FRS.0028': { status: 403, message: 'The project id in the url does not match the token.', verbatim: false },
  'FRS.0032': { status: 400, message: 'The sort field or its type is not supported, %s.', verbatim: false },
  'FRS.0033': { status: 429, message: 'Too many requests, over the flow control limit.', verbatim: false },
  'FRS.0301': { status: 400, message: 'The face set already exists, can not create it.', verbatim: false },
  'FRS.0302': { status: 400, message: 'The face set is not exist, checkout your input.', verbatim: false },
  'FRS.0303': { status: 400, message: 'The face id is not exist, checkout your input.', verbatim: true },
  'FRS.0304': { status: 400, message: 'Detect no face, can not search face set.', verbatim: false },
  'FRS.0305': { status: 400, message: 'The number of face sets reaches the upper limit.', verbatim: false },
  'FRS.0306': { status: 403, message: 'The face set is full, can not add face.', verbatim: false },
  'FRS.0401': { status: 400, message: 'No value of the matching type is found, can not delete face.', verbatim: false },
  // Doc example text for an unknown external_image_id: "External id is not exist, can not delete face".
  'FRS.0402': { status: 400, message: '%s', verbatim: false },
  'FRS.0403': { status: 400, message: 'The face id is not exist, %s.', verbatim: false },
  'FRS.0404': { status: 400, message: 'Detect no face, can not add it to face set.', verbatim: true },
  'FRS.0407': { status: 400, message: 'All the data not suitable, %s.', verbatim: true },
};

/** Thrown by handlers; turned into `{"error_code","error_msg"}` with the catalogue status. */
export class FrsError extends Error {
  readonly code: FrsErrorCode;
  readonly status: number;
  readonly body: { error_code: string; error_msg: string };

  constructor(code: FrsErrorCode, detail?: string) {
    const entry = FRS_ERRORS[code];
    const msg = fill(entry.message, detail);
    super(`${code}: ${msg}`);
    this.code = code;
    this.status = entry.status;
    this.body = { error_code: code, error_msg: msg };
  }
}

function fill(template: string, detail: string | undefined): string {
  if (template === '%s') return detail || 'Input field is not exist.';
  if (!template.includes('%s')) return template;
  if (detail !== undefined && detail !== '') return template.replace('%s', detail);
  // No detail: drop the placeholder and a separator right before it.
  return template.replace(/[ ,]*%s/, '');
}

/** Gateway (API Gateway / APIG) errors: `{"error_msg","error_code","request_id"}`. */
export type GatewayErrorKind =
  'aksk-signature' | 'aksk-unknown-ak' | 'aksk-locked' | 'token-invalid' | 'no-credentials' | 'api-not-found';

export function gatewayError(
  kind: GatewayErrorKind,
  requestId: string,
  ak?: string,
): { status: number; body: Record<string, string> } {
  switch (kind) {
    case 'aksk-signature':
      return gw(401, 'APIGW.0301', 'Incorrect IAM authentication information: verify aksk signature fail', requestId);
    case 'aksk-unknown-ak':
      return gw(
        401,
        'APIGW.0301',
        `Incorrect IAM authentication information: Get secretKey failed,ak:${ak ?? ''},err:ak not exist`,
        requestId,
      );
    case 'aksk-locked':
      return gw(
        401,
        'APIGW.0301',
        'Incorrect IAM authentication information: AK access failed to reach the limit,forbidden.',
        requestId,
      );
    case 'token-invalid':
      return gw(401, 'APIGW.0301', 'Incorrect IAM authentication information: decrypt token fail', requestId);
    case 'no-credentials':
      // Message not documented; same code/status as the other IAM-authentication failures.
      return gw(
        401,
        'APIGW.0301',
        'Incorrect IAM authentication information: no token or AK/SK signature in the request',
        requestId,
      );
    case 'api-not-found':
      // APIG.0101 status is UNVERIFIED in the notes; 404 chosen. Prefix APIGW like the 0301 family.
      return gw(404, 'APIGW.0101', 'The API does not exist or has not been published in the environment', requestId);
  }
}

function gw(status: number, code: string, msg: string, requestId: string) {
  return { status, body: { error_msg: msg, error_code: code, request_id: requestId } };
}
