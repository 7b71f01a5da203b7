import { notFound } from '../domain/errors';
import type { FaceVendor } from '../datasources/vendors/face-vendor';

export class ProviderRegistry {
  private readonly byId: Map<string, FaceVendor>;

  constructor(vendors: FaceVendor[]) {
    this.byId = new Map(vendors.map((v) => [v.providerId, v]));
  }

  all(): FaceVendor[] {
    return [...this.byId.values()];
  }

  find(id: string): FaceVendor | null {
    return this.byId.get(id) ?? null;
  }

  get(id: string): FaceVendor {
    const vendor = this.byId.get(id);
    if (!vendor) throw notFound('PROVIDER', id);
    return vendor;
  }

  /** True when every adapter can serve (e.g. the LOCAL face engine is warm). */
  isReady(): boolean {
    return this.all().every((v) => v.isReady?.() ?? true);
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((v) => v.close?.()));
  }
}
