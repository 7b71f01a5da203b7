export type * from './types';
export { loadConfig } from './load';
export { ConfigError } from './config-error';
export { LOG_LEVELS, PROVIDER_KINDS } from './schema';
