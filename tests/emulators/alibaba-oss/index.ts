export { startOssEmulator } from './server';
export type { OssEmulator, OssEmulatorOptions, OssRequestLogEntry } from './server';
export { FaultController, OPERATION_NAMES } from './faults';
export type { FaultRule, FaultSpec, OperationName } from './faults';
export { OssState } from './state';
export type { StoredObject } from './state';
export { Errors, OssError, errorXml } from './errors';
export { OssVerifier, SUBRESOURCES, buildStringToSign, parseQuery } from './auth';
export type { AuthFailure, AuthMode } from './auth';
