import type { FaceVendor } from '../datasources/vendors/face-vendor';
import { mayUseProvider } from '../domain/access';
import type { RequestContext } from './context';

// A credential limited to some providers sees only their libraries, persons and faces: others are left out of
// lists and answer as unknown by id (docs/schema-contract.graphql, "Access").

export function visibleProviders(ctx: RequestContext): FaceVendor[] {
  return ctx.services.providers.all().filter((vendor) => mayUseProvider(ctx.caller.access, vendor.providerId));
}

export function findVisibleProvider(ctx: RequestContext, id: string): FaceVendor | null {
  return mayUseProvider(ctx.caller.access, id) ? ctx.services.providers.find(id) : null;
}

/** The record, or null when it belongs to a provider the caller may not use. */
export function visible<T extends { providerId: string }>(ctx: RequestContext, record: T | null): T | null {
  return record && mayUseProvider(ctx.caller.access, record.providerId) ? record : null;
}
