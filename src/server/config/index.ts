export type * from './types';
export { loadConfig } from './load';
export { ConfigError } from './config-error';
export { DEFAULT_LIMITS, LOG_LEVELS, PROVIDER_KINDS } from './schema';
