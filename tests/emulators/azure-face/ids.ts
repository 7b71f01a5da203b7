import { randomUUID } from 'node:crypto';

/** personId / persistedFaceId / faceId / apim-request-id: lower-case GUIDs (notes §2.2). */
export const newGuid = (): string => randomUUID();

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isGuid = (s: string): boolean => GUID.test(s);

/** `^[a-z0-9-_]+$`, 1..64 characters (notes §2.2). */
export const GROUP_ID_RULE = /^[a-z0-9\-_]{1,64}$/;
