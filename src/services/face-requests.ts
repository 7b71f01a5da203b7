import type { ErrorDetail } from '../domain/errors';
import type { FaceRecord, FaceSelection, Support } from '../domain/model';
import type { ImageLimits, UrlFetchPolicy } from '../datasources/images/image';
import type { ReceivedImageInput, UploadedFile } from '../datasources/images';

// What the resolvers hand the face use cases, and what the use cases answer.

export interface ImageInputRequest {
  base64?: string | null;
  url?: string | null;
  /** A file of a multipart request: read (up to images.maxBytes) before anything else is done with the request. */
  upload?: Promise<UploadedFile> | null;
}

export interface RegisterFaceRequest {
  libraryId: string;
  personId?: string | null;
  image: ImageInputRequest;
  externalImageId?: string | null;
  fields?: unknown;
  userData?: string | null;
  idempotencyKey?: string | null;
  faceSelection?: FaceSelection | null;
}

export interface SearchFacesRequest {
  libraryId: string;
  image: ImageInputRequest;
  topN?: number | null;
  threshold?: number | null;
}

export interface UpdateFaceRequest {
  faceId: string;
  externalImageId?: string | null;
  fields?: unknown;
  userData?: string | null;
}

export interface FaceFilterRequest {
  faceIds?: string[] | null;
  externalImageId?: string | null;
  personId?: string | null;
  fields?: unknown;
}

export interface DeleteFacesOutcome {
  dryRun: boolean;
  matched: FaceRecord[];
  deleted: FaceRecord[];
  failures: { faceId: string; error: ErrorDetail }[];
  plan: { strategy: Support; vendorCalls: number };
  /** What the vendor says a native filter delete removed (null when it does not say, or no such call was made). */
  vendorDeletedCount: number | null;
}

export interface ImagePolicy {
  limits: ImageLimits;
  urlFetch: UrlFetchPolicy;
}

/** A registration whose uploaded file (if any) has been read. */
export type ReceivedRegistration = Omit<RegisterFaceRequest, 'image'> & { image: ReceivedImageInput };
