/**
 * Azure AI Face (v1.0) error answers of the emulator.
 *
 * Service errors use the canonical envelope `{"error":{"code","message"}}` (notes §2.5). Message texts
 * come from the ERR-DOC tables copied in the notes (§9.1, §9.2, §10) unless the catalogue below says
 * `verbatim: false`; those few are the emulator's own wording, so clients must branch on the HTTP
 * status and `error.code` (or `error.innererror.code`), never on the message.
 */

export type GroupKind = 'PersonGroup' | 'LargePersonGroup';

export class AzureError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** a complete body that replaces the canonical envelope (gateway shapes, Limited Access) */
    readonly rawBody?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  get body(): unknown {
    return this.rawBody ?? { error: { code: this.code, message: this.message } };
  }
}

const bad = (message: string): AzureError => new AzureError(400, 'BadArgument', message);

/**
 * Texts that differ between PersonGroup and LargePersonGroup (ERR-DOC "Person Group" / "Large Person Group"
 * tables).
 */
export function groupTexts(kind: GroupKind) {
  const large = kind === 'LargePersonGroup';
  const prefix = large ? 'LargePersonGroup' : 'PersonGroup';
  const noun = large ? 'Large person group' : 'Person group';
  return {
    notFoundCode: `${prefix}NotFound`,
    notTrainedCode: `${prefix}NotTrained`,
    existsCode: `${prefix}Exists`,
    trainingCode: `${prefix}TrainingNotFinished`,
    idInvalid: `${noun} ID is invalid.`,
    notFound: `${noun} is not found.`,
    notTrained: `${noun} not trained.`,
    exists: `${noun} already exists.`,
    underTraining: `${noun} is under training.`,
    groupQuota: `${noun} number reached subscription level limit.`,
    personQuota: large
      ? 'Person number reached large person group level limit.'
      : 'Person number reached person group level limit.',
  };
}

export const Errors = {
  // common (ERR-DOC "Common error codes")
  requestBodyInvalid: () => bad('Request body is invalid.'),
  jsonParsing: () => bad('JSON parsing error.'),
  recognitionModelInvalid: () => bad("'recognitionModel' is invalid."),
  detectionModelInvalid: () => bad("'detectionModel' is invalid."),
  nameEmpty: () => bad("'name' is empty."),
  nameTooLong: () => bad("'name' is too long."),
  userDataTooLong: () => bad("'userData' is too long."),
  bothEmpty: () => bad("Both 'name' and 'userData' are empty."),
  startTooLong: () => bad("'start' is too long."),
  topInvalid: () => bad("'top' is invalid."),
  targetFaceOutOfRange: () => bad('Argument targetFace out of range.'),
  targetFaceInvalid: () => bad('Invalid argument targetFace.'),
  /** emulator wording: the faceIdTimeToLive range error text is not in the notes */
  faceIdTtlInvalid: () => bad("'faceIdTimeToLive' is invalid."),
  mediaType: () => new AzureError(415, 'BadArgument', 'Invalid Media Type.'),
  invalidUrl: () => new AzureError(400, 'InvalidURL', 'Invalid image URL.'),
  downloadFailed: () =>
    new AzureError(
      400,
      'InvalidURL',
      'Invalid image URL or error downloading from target server. ' +
        'Remote server error returned: "An error occurred while sending the request."',
    ),
  decoding: () => new AzureError(400, 'InvalidImage', 'Decoding error, image format unsupported.'),
  noFace: () => new AzureError(400, 'InvalidImage', 'No face detected in the image.'),
  manyFaces: () => new AzureError(400, 'InvalidImage', 'There is more than 1 face in the image.'),
  tooSmall: () => new AzureError(400, 'InvalidImageSize', 'Image size is too small.'),
  tooBig: () => new AzureError(400, 'InvalidImageSize', 'Image size is too big.'),

  // group-library (ERR-DOC "Person Group" / "Large Person Group" tables)
  groupIdInvalidOnCreate: (kind: GroupKind) => bad(groupTexts(kind).idInvalid),
  groupIdInvalid: (kind: GroupKind) => new AzureError(404, groupTexts(kind).notFoundCode, groupTexts(kind).idInvalid),
  groupNotFound: (kind: GroupKind) => new AzureError(404, groupTexts(kind).notFoundCode, groupTexts(kind).notFound),
  groupExists: (kind: GroupKind) => new AzureError(409, groupTexts(kind).existsCode, groupTexts(kind).exists),
  groupNotTrained: (kind: GroupKind) =>
    new AzureError(404, groupTexts(kind).notTrainedCode, groupTexts(kind).notTrained),
  underTraining: (kind: GroupKind) =>
    new AzureError(409, groupTexts(kind).trainingCode, groupTexts(kind).underTraining),
  groupQuota: (kind: GroupKind) => new AzureError(403, 'QuotaExceeded', groupTexts(kind).groupQuota),
  personQuota: (kind: GroupKind) => new AzureError(403, 'QuotaExceeded', groupTexts(kind).personQuota),
  subscriptionPersonQuota: () =>
    new AzureError(403, 'QuotaExceeded', 'Person number reached subscription level limit.'),
  faceQuota: () => new AzureError(403, 'QuotaExceeded', 'Persisted face number reached limit.'),
  personIdInvalid: () => new AzureError(404, 'PersonNotFound', 'Person ID is invalid.'),
  personNotFound: (personId: string) => new AzureError(404, 'PersonNotFound', `Person ${personId} is not found.`),
  faceIdInvalid: () => new AzureError(404, 'PersistedFaceNotFound', 'Persisted face ID is invalid.'),
  faceNotFound: (faceId: string) =>
    new AzureError(404, 'PersistedFaceNotFound', `Persisted face ${faceId} is not found.`),

  // identify (ERR-DOC "Face Identify error codes": note 400, not 404, for missing groups)
  identifyGroupIdInvalid: (kind: GroupKind) => bad(groupTexts(kind).idInvalid),
  identifyGroupNotFound: (kind: GroupKind) =>
    new AzureError(400, groupTexts(kind).notFoundCode, groupTexts(kind).notFound),
  identifyNotTrained: (kind: GroupKind) =>
    new AzureError(400, groupTexts(kind).notTrainedCode, groupTexts(kind).notTrained),
  identifyUnderTraining: (kind: GroupKind) =>
    new AzureError(409, groupTexts(kind).trainingCode, groupTexts(kind).underTraining),
  recognitionModelIncompatible: () => bad("'recognitionModel' is incompatible."),
  candidatesInvalid: () => bad('The argument maxNumOfCandidatesReturned is not valid.'),
  thresholdInvalid: () => bad('The argument confidenceThreshold is not valid.'),
  faceIdsLength: () => bad('The length of faceIds is not in a valid range.'),
  /** from the Verify table ("Face ID is invalid."): used for a faceId that is not a GUID */
  queryFaceIdInvalid: () => bad('Face ID is invalid.'),
  queryFaceNotFound: () => new AzureError(400, 'FaceNotFound', 'Face is not found.'),
  bothGroupIds: () =>
    new AzureError(
      400,
      'PersonGroupIdAndLargePersonGroupIdBothNotNull',
      'Large person group ID and person group ID are both not null.',
    ),
  noGroupId: () =>
    new AzureError(
      400,
      'PersonGroupIdAndLargePersonGroupIdBothNull',
      'Large person group ID and person group ID are both null.',
    ),
};

// ------------------------------------------------------------------------------------------------
// gateway / Limited Access shapes (notes §2.5, §9.2, §10)

export const ACCESS_DENIED_MESSAGE =
  'Access denied due to invalid subscription key or wrong API endpoint. ' +
  'Make sure to provide a valid key for an active subscription ' +
  'and use a correct regional API endpoint for your resource.';

export const unauthorized = (): AzureError => new AzureError(401, '401', ACCESS_DENIED_MESSAGE);

/** §10: the body Azure sends to resources without Limited Access approval (HTTP 403 per ERR-DOC). */
export const LIMITED_ACCESS_BODY = {
  error: {
    code: 'InvalidRequest',
    message: 'Invalid request has been sent.',
    innererror: {
      code: 'UnsupportedFeature',
      message:
        'Feature is not supported, missing approval for one or more of the following ' +
        'features: Identification,Verification. Please apply for access at https://aka.ms/facerecognition',
    },
  },
};

export const unsupportedFeature = (): AzureError =>
  new AzureError(403, 'UnsupportedFeature', LIMITED_ACCESS_BODY.error.innererror.message, LIMITED_ACCESS_BODY);

/** §9.2: rate limit; the Retry-After header is the emulator's choice (UNVERIFIED for Face). */
export function rateLimited(seconds: number): AzureError {
  return new AzureError(429, '429', `Rate limit is exceeded. Try again in ${seconds} seconds.`, undefined, {
    'Retry-After': String(seconds),
  });
}

/** §9.2: historical call-volume quota body (numeric statusCode, no code). */
export const QUOTA_BODY = {
  error: { statusCode: 403, message: 'Out of call volume quota. Quota will be replenished in 2.12 days.' },
};

/** Unknown route (APIM style; the exact text is UNVERIFIED). */
export const resourceNotFound = (): AzureError => new AzureError(404, '404', 'Resource not found');

/** Emulator bug or injected 5xx (the real texts are UNVERIFIED). */
export const internalError = (): AzureError =>
  new AzureError(500, 'InternalServerError', 'An internal server error occurred.');
export const serviceUnavailable = (): AzureError =>
  new AzureError(503, 'ServiceUnavailable', 'Service is temporarily unavailable. Please try again later.');
