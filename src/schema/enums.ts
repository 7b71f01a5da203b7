import { registerEnumType } from 'type-graphql';

// GraphQL enums mirror the string unions of the domain model; the values are the same strings.

export enum VendorKindEnum {
  LOCAL = 'LOCAL',
  HUAWEI_FRS = 'HUAWEI_FRS',
  AZURE_FACE = 'AZURE_FACE',
  ALIBABA_MTS = 'ALIBABA_MTS',
}

export enum SupportEnum {
  NATIVE = 'NATIVE',
  EMULATED = 'EMULATED',
  UNSUPPORTED = 'UNSUPPORTED',
}

export enum FieldTypeEnum {
  STRING = 'STRING',
  INTEGER = 'INTEGER',
  LONG = 'LONG',
  FLOAT = 'FLOAT',
  DOUBLE = 'DOUBLE',
  BOOLEAN = 'BOOLEAN',
}

export enum ErrorCodeEnum {
  INVALID_INPUT = 'INVALID_INPUT',
  NOT_FOUND = 'NOT_FOUND',
  ALREADY_EXISTS = 'ALREADY_EXISTS',
  IMAGE_REJECTED = 'IMAGE_REJECTED',
  UNSUPPORTED_OPERATION = 'UNSUPPORTED_OPERATION',
  RATE_LIMITED = 'RATE_LIMITED',
  QUOTA_EXCEEDED = 'QUOTA_EXCEEDED',
  CONFLICT = 'CONFLICT',
  VENDOR_AUTH = 'VENDOR_AUTH',
  VENDOR_UNAVAILABLE = 'VENDOR_UNAVAILABLE',
}

export enum ResourceKindEnum {
  PROVIDER = 'PROVIDER',
  LIBRARY = 'LIBRARY',
  PERSON = 'PERSON',
  FACE = 'FACE',
  API_KEY = 'API_KEY',
}

export enum ImageRejectReasonEnum {
  NO_FACE = 'NO_FACE',
  MULTIPLE_FACES = 'MULTIPLE_FACES',
  TOO_LARGE = 'TOO_LARGE',
  TOO_SMALL = 'TOO_SMALL',
  UNSUPPORTED_FORMAT = 'UNSUPPORTED_FORMAT',
  UNREACHABLE = 'UNREACHABLE',
  BLOCKED_ADDRESS = 'BLOCKED_ADDRESS',
}

export enum FaceStatusEnum {
  ACTIVE = 'ACTIVE',
  PENDING = 'PENDING',
}

export enum TrainingStatusEnum {
  NOT_REQUIRED = 'NOT_REQUIRED',
  NEEDS_TRAINING = 'NEEDS_TRAINING',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}

registerEnumType(TrainingStatusEnum, {
  name: 'TrainingStatus',
  description: 'Whether searches see the library as it is now (providers that identify against a trained model).',
  valuesConfig: {
    NOT_REQUIRED: { description: 'The provider searches without training.' },
    NEEDS_TRAINING: { description: 'Persons or faces changed since the last successful training: call trainLibrary.' },
    RUNNING: { description: 'A training was still running when facegraph last looked.' },
    SUCCEEDED: { description: 'Trained; searches see every change.' },
    FAILED: { description: 'The last training failed (e.g. a person without faces).' },
  },
});

export enum FaceSelectionEnum {
  REJECT_MULTIPLE = 'REJECT_MULTIPLE',
  LARGEST = 'LARGEST',
}

registerEnumType(FaceSelectionEnum, {
  name: 'FaceSelection',
  description: 'What registerFace does with an image that shows several faces.',
  valuesConfig: {
    REJECT_MULTIPLE: { description: 'Refuse it with ImageRejectedError MULTIPLE_FACES.' },
    LARGEST: { description: 'Register the largest face and ignore the others.' },
  },
});
export enum ImageCropEnum {
  NONE = 'NONE',
  FACE = 'FACE',
}

registerEnumType(ImageCropEnum, {
  name: 'ImageCrop',
  description:
    'NONE: the whole registered image. FACE: its bounding box with a margin (the whole image where no box is known).',
});
registerEnumType(VendorKindEnum, { name: 'VendorKind' });
registerEnumType(SupportEnum, { name: 'Support' });
registerEnumType(FieldTypeEnum, { name: 'FieldType' });
registerEnumType(ErrorCodeEnum, { name: 'ErrorCode' });
registerEnumType(ResourceKindEnum, { name: 'ResourceKind' });
registerEnumType(ImageRejectReasonEnum, { name: 'ImageRejectReason' });
registerEnumType(FaceStatusEnum, {
  name: 'FaceStatus',
  description: 'ACTIVE: confirmed at the vendor. PENDING: the vendor may hold it; syncLibrary settles it.',
});
