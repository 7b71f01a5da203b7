import type { Logger } from 'pino';
import type { Services } from '../services';
import { createLoaders, type Loaders } from './loaders';

export interface RequestContext {
  services: Services;
  loaders: Loaders;
  logger: Logger;
}

/** A new context per request: DataLoader caches must never outlive one request. */
export function createRequestContext(services: Services, logger: Logger): RequestContext {
  return { services, loaders: createLoaders(services.ledger), logger };
}
