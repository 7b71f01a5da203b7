import { randomBytes, randomUUID } from 'node:crypto';

/** RequestId in the POP style: an upper-case UUID, e.g. "91AEA76D-25B5-50DF-9126-AA6BB10FDAF4". */
export const newRequestId = (): string => randomUUID().toUpperCase();
/** FaceId: 32 lower-case hex characters (the current doc example's shape; notes §3.1 emulator advice). */
export const newFaceId = (): string => randomBytes(16).toString('hex');
