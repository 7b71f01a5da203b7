/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type ErrorCode =
  | 'ALREADY_EXISTS'
  | 'CONFLICT'
  | 'IMAGE_REJECTED'
  | 'INVALID_INPUT'
  | 'NOT_FOUND'
  | 'QUOTA_EXCEEDED'
  | 'RATE_LIMITED'
  | 'UNSUPPORTED_OPERATION'
  | 'VENDOR_AUTH'
  | 'VENDOR_UNAVAILABLE';

export type FaceEventKind =
  | 'DELETED'
  | 'REGISTERED'
  | 'UPDATED';

/** All given parts must match. */
export type FaceFilter = {
  externalImageId?: string | null | undefined;
  faceIds?: Array<string | number> | null | undefined;
  /** Equality on custom fields, all must match: { "dept": "sales", "level": 3 } */
  fields?: Record<string, unknown> | null | undefined;
  personId?: string | number | null | undefined;
};

/** What registerFace does with an image that shows several faces. */
export type FaceSelection =
  /** Register the largest face and ignore the others. */
  | 'LARGEST'
  /** Refuse it with ImageRejectedError MULTIPLE_FACES. */
  | 'REJECT_MULTIPLE';

export type FieldType =
  | 'BOOLEAN'
  | 'DOUBLE'
  | 'FLOAT'
  | 'INTEGER'
  | 'LONG'
  | 'STRING';

/** Exactly one of base64 (plain or a data: URL), url (http/https) or upload (a file of a multipart request). */
export type ImageInput = {
  base64?: string | null | undefined;
  /** At most images.maxBytes; send apollo-require-preflight: true. */
  upload?: Blob | null | undefined;
  url?: string | null | undefined;
};

export type ImageRejectReason =
  | 'BLOCKED_ADDRESS'
  | 'MULTIPLE_FACES'
  | 'NO_FACE'
  | 'TOO_LARGE'
  | 'TOO_SMALL'
  | 'UNREACHABLE'
  | 'UNSUPPORTED_FORMAT';

export type RegisterFaceInput = {
  externalImageId?: string | null | undefined;
  faceSelection?: FaceSelection | null | undefined;
  fields?: Record<string, unknown> | null | undefined;
  /** A retry with the same key returns the first result and never creates a second face. */
  idempotencyKey?: string | null | undefined;
  image: ImageInput;
  libraryId: string | number;
  /** Required where the vendor needs a person (Azure, MTS). */
  personId?: string | number | null | undefined;
  userData?: string | null | undefined;
};

export type Support =
  | 'EMULATED'
  | 'NATIVE'
  | 'UNSUPPORTED';

/** Fields are merged: a key set to null removes that field. */
export type UpdateFaceInput = {
  externalImageId?: string | null | undefined;
  faceId: string | number;
  fields?: Record<string, unknown> | null | undefined;
  userData?: string | null | undefined;
};

export type VendorKind =
  | 'ALIBABA_MTS'
  | 'AZURE_FACE'
  | 'HUAWEI_FRS'
  | 'LOCAL';

export type UiRegisterFaceMutationVariables = Exact<{
  input: RegisterFaceInput;
}>;


export type UiRegisterFaceMutation = { registerFace:
    | { __typename: 'ConflictError', message: string, code: ErrorCode }
    | { __typename: 'ImageRejectedError', message: string, code: ErrorCode, reason: ImageRejectReason }
    | { __typename: 'InvalidInputError', message: string, code: ErrorCode, field: string | null }
    | { __typename: 'NotFoundError', message: string, code: ErrorCode }
    | { __typename: 'QuotaExceededError', message: string, code: ErrorCode }
    | { __typename: 'RateLimitedError', message: string, code: ErrorCode }
    | { __typename: 'RegisterFaceSuccess', face: { id: string, externalImageId: string | null, fields: Record<string, unknown>, userData: string | null, createdAt: string, thumbnail: string | null, person: { id: string, externalId: string, name: string | null } | null } }
    | { __typename: 'UnsupportedOperationError', message: string, code: ErrorCode }
    | { __typename: 'VendorAuthError', message: string, code: ErrorCode }
    | { __typename: 'VendorUnavailableError', message: string, code: ErrorCode }
   };

export type UiUpdateFaceMutationVariables = Exact<{
  input: UpdateFaceInput;
}>;


export type UiUpdateFaceMutation = { updateFace:
    | { __typename: 'ConflictError', message: string, code: ErrorCode }
    | { __typename: 'InvalidInputError', message: string, code: ErrorCode, field: string | null }
    | { __typename: 'NotFoundError', message: string, code: ErrorCode }
    | { __typename: 'RateLimitedError', message: string, code: ErrorCode }
    | { __typename: 'UnsupportedOperationError', message: string, code: ErrorCode }
    | { __typename: 'UpdateFaceSuccess', face: { id: string, externalImageId: string | null, fields: Record<string, unknown>, userData: string | null, createdAt: string, thumbnail: string | null, person: { id: string, externalId: string, name: string | null } | null } }
    | { __typename: 'VendorAuthError', message: string, code: ErrorCode }
    | { __typename: 'VendorUnavailableError', message: string, code: ErrorCode }
   };

export type UiDeleteFacesMutationVariables = Exact<{
  libraryId: string | number;
  filter: FaceFilter;
  dryRun: boolean;
}>;


export type UiDeleteFacesMutation = { deleteFaces:
    | { __typename: 'ConflictError', message: string, code: ErrorCode }
    | { __typename: 'DeleteFacesSuccess', dryRun: boolean, matchedCount: number, deletedCount: number, deletedFaceIds: Array<string>, plan: { strategy: Support, vendorCalls: number }, failures: Array<{ faceId: string, error:
          | { message: string }
          | { message: string }
          | { message: string }
          | { message: string }
          | { message: string }
          | { message: string }
          | { message: string }
          | { message: string }
          | { message: string }
          | { message: string }
         }> }
    | { __typename: 'InvalidInputError', message: string, code: ErrorCode }
    | { __typename: 'NotFoundError', message: string, code: ErrorCode }
    | { __typename: 'RateLimitedError', message: string, code: ErrorCode }
    | { __typename: 'UnsupportedOperationError', message: string, code: ErrorCode }
    | { __typename: 'VendorAuthError', message: string, code: ErrorCode }
    | { __typename: 'VendorUnavailableError', message: string, code: ErrorCode }
   };

export type FaceCardFragment = { id: string, externalImageId: string | null, fields: Record<string, unknown>, userData: string | null, createdAt: string, thumbnail: string | null, person: { id: string, externalId: string, name: string | null } | null };

export type UiProvidersQueryVariables = Exact<{ [key: string]: never; }>;


export type UiProvidersQuery = { providers: Array<{ id: string, kind: VendorKind, region: string | null, capabilities: { registerFace: Support, updateFace: Support, deleteFaces: Support, deleteFacesByFilter: Support, searchFaces: Support, customFields: Support } }> };

export type UiLibrariesQueryVariables = Exact<{
  providerId: string | number;
  after?: string | null | undefined;
}>;


export type UiLibrariesQuery = { libraries: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, name: string, displayName: string | null, fieldSchema: Array<{ name: string, type: FieldType }> } }> } };

export type UiFacesQueryVariables = Exact<{
  libraryId: string | number;
  filter?: FaceFilter | null | undefined;
  first: number;
  after?: string | null | undefined;
}>;


export type UiFacesQuery = { library: { id: string, faces: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, externalImageId: string | null, fields: Record<string, unknown>, userData: string | null, createdAt: string, thumbnail: string | null, person: { id: string, externalId: string, name: string | null } | null } }> } } | null };

export type UiSearchFacesQueryVariables = Exact<{
  libraryId: string | number;
  image: ImageInput;
  topN?: number | null | undefined;
  threshold?: number | null | undefined;
}>;


export type UiSearchFacesQuery = { searchFaces:
    | { __typename: 'ConflictError', message: string, code: ErrorCode }
    | { __typename: 'ImageRejectedError', message: string, code: ErrorCode, reason: ImageRejectReason }
    | { __typename: 'InvalidInputError', message: string, code: ErrorCode }
    | { __typename: 'NotFoundError', message: string, code: ErrorCode }
    | { __typename: 'RateLimitedError', message: string, code: ErrorCode }
    | { __typename: 'SearchFacesSuccess', matches: Array<{ similarity: number, face: { id: string, externalImageId: string | null, fields: Record<string, unknown>, userData: string | null, createdAt: string, thumbnail: string | null, person: { id: string, externalId: string, name: string | null } | null } }> }
    | { __typename: 'UnsupportedOperationError', message: string, code: ErrorCode }
    | { __typename: 'VendorAuthError', message: string, code: ErrorCode }
    | { __typename: 'VendorUnavailableError', message: string, code: ErrorCode }
   };

export type UiFaceEventsSubscriptionVariables = Exact<{
  libraryId?: string | number | null | undefined;
}>;


export type UiFaceEventsSubscription = { faceEvents: { kind: FaceEventKind, faceId: string, libraryId: string, actor: string, at: string, face: { id: string, externalImageId: string | null, fields: Record<string, unknown>, userData: string | null, createdAt: string, thumbnail: string | null, person: { id: string, externalId: string, name: string | null } | null } | null } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const FaceCardFragmentDoc = new TypedDocumentString(`
    fragment FaceCard on Face {
  id
  externalImageId
  fields
  userData
  createdAt
  person {
    id
    externalId
    name
  }
  thumbnail: imageUrl(maxSide: 256, crop: FACE)
}
    `, {"fragmentName":"FaceCard"}) as unknown as TypedDocumentString<FaceCardFragment, unknown>;
export const UiRegisterFaceDocument = new TypedDocumentString(`
    mutation UiRegisterFace($input: RegisterFaceInput!) {
  registerFace(input: $input) {
    __typename
    ... on RegisterFaceSuccess {
      face {
        ...FaceCard
      }
    }
    ... on Error {
      message
      code
    }
    ... on ImageRejectedError {
      reason
    }
    ... on InvalidInputError {
      field
    }
  }
}
    fragment FaceCard on Face {
  id
  externalImageId
  fields
  userData
  createdAt
  person {
    id
    externalId
    name
  }
  thumbnail: imageUrl(maxSide: 256, crop: FACE)
}`) as unknown as TypedDocumentString<UiRegisterFaceMutation, UiRegisterFaceMutationVariables>;
export const UiUpdateFaceDocument = new TypedDocumentString(`
    mutation UiUpdateFace($input: UpdateFaceInput!) {
  updateFace(input: $input) {
    __typename
    ... on UpdateFaceSuccess {
      face {
        ...FaceCard
      }
    }
    ... on Error {
      message
      code
    }
    ... on InvalidInputError {
      field
    }
  }
}
    fragment FaceCard on Face {
  id
  externalImageId
  fields
  userData
  createdAt
  person {
    id
    externalId
    name
  }
  thumbnail: imageUrl(maxSide: 256, crop: FACE)
}`) as unknown as TypedDocumentString<UiUpdateFaceMutation, UiUpdateFaceMutationVariables>;
export const UiDeleteFacesDocument = new TypedDocumentString(`
    mutation UiDeleteFaces($libraryId: ID!, $filter: FaceFilter!, $dryRun: Boolean!) {
  deleteFaces(libraryId: $libraryId, filter: $filter, dryRun: $dryRun) {
    __typename
    ... on DeleteFacesSuccess {
      dryRun
      matchedCount
      deletedCount
      deletedFaceIds
      plan {
        strategy
        vendorCalls
      }
      failures {
        faceId
        error {
          message
        }
      }
    }
    ... on Error {
      message
      code
    }
  }
}
    `) as unknown as TypedDocumentString<UiDeleteFacesMutation, UiDeleteFacesMutationVariables>;
export const UiProvidersDocument = new TypedDocumentString(`
    query UiProviders {
  providers {
    id
    kind
    region
    capabilities {
      registerFace
      updateFace
      deleteFaces
      deleteFacesByFilter
      searchFaces
      customFields
    }
  }
}
    `) as unknown as TypedDocumentString<UiProvidersQuery, UiProvidersQueryVariables>;
export const UiLibrariesDocument = new TypedDocumentString(`
    query UiLibraries($providerId: ID!, $after: String) {
  libraries(providerId: $providerId, first: 100, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        name
        displayName
        fieldSchema {
          name
          type
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<UiLibrariesQuery, UiLibrariesQueryVariables>;
export const UiFacesDocument = new TypedDocumentString(`
    query UiFaces($libraryId: ID!, $filter: FaceFilter, $first: Int!, $after: String) {
  library(id: $libraryId) {
    id
    faces(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...FaceCard
        }
      }
    }
  }
}
    fragment FaceCard on Face {
  id
  externalImageId
  fields
  userData
  createdAt
  person {
    id
    externalId
    name
  }
  thumbnail: imageUrl(maxSide: 256, crop: FACE)
}`) as unknown as TypedDocumentString<UiFacesQuery, UiFacesQueryVariables>;
export const UiSearchFacesDocument = new TypedDocumentString(`
    query UiSearchFaces($libraryId: ID!, $image: ImageInput!, $topN: Int, $threshold: Float) {
  searchFaces(
    libraryId: $libraryId
    image: $image
    topN: $topN
    threshold: $threshold
  ) {
    __typename
    ... on SearchFacesSuccess {
      matches {
        similarity
        face {
          ...FaceCard
        }
      }
    }
    ... on Error {
      message
      code
    }
    ... on ImageRejectedError {
      reason
    }
  }
}
    fragment FaceCard on Face {
  id
  externalImageId
  fields
  userData
  createdAt
  person {
    id
    externalId
    name
  }
  thumbnail: imageUrl(maxSide: 256, crop: FACE)
}`) as unknown as TypedDocumentString<UiSearchFacesQuery, UiSearchFacesQueryVariables>;
export const UiFaceEventsDocument = new TypedDocumentString(`
    subscription UiFaceEvents($libraryId: ID) {
  faceEvents(libraryId: $libraryId) {
    kind
    faceId
    libraryId
    actor
    at
    face {
      ...FaceCard
    }
  }
}
    fragment FaceCard on Face {
  id
  externalImageId
  fields
  userData
  createdAt
  person {
    id
    externalId
    name
  }
  thumbnail: imageUrl(maxSide: 256, crop: FACE)
}`) as unknown as TypedDocumentString<UiFaceEventsSubscription, UiFaceEventsSubscriptionVariables>;