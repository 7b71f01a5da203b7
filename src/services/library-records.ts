import type { LibraryKey } from '../datasources/ledger/ledger-store';
import type { LibraryRecord } from '../domain/model';

// Library records as the ledger answered them, kept with the ledger change version read before they were, across
// requests: nearly every request starts by looking up one library (the page of a library's faces, a person, a
// registration), and on PostgreSQL that lookup is a round trip of its own. A request that has read the ledger's
// version (the response cache's check, a remembered API key: request-ledger-version.ts) is given a record kept at
// that same version: no write has committed since the version it was kept at was read, so it is the record the
// ledger holds, or one newer than the request's version (read after it). Every write to libraries moves the
// version (the change-version trigger; SQLite's data_version and write count), so a record is never served once
// anything was written after it was read, and a write acknowledged anywhere is seen by the next request.

/** Records kept at most (all of one version); a ledger with more libraries looks the rest up as before. */
const MAX_RECORDS = 1000;

const keyOf = (key: LibraryKey) => `${key.providerId}\u0000${key.name}`;

export class LibraryRecordsByVersion {
  private version: string | null = null;
  private readonly byKey = new Map<string, LibraryRecord>();
  private readonly byRowId = new Map<number, LibraryRecord>();

  /** The record kept for `key` at `version`, if any. */
  withKey(version: string, key: LibraryKey): LibraryRecord | undefined {
    return version === this.version ? this.byKey.get(keyOf(key)) : undefined;
  }

  /** The record kept for `rowId` at `version`, if any. */
  withRowId(version: string, rowId: number): LibraryRecord | undefined {
    return version === this.version ? this.byRowId.get(rowId) : undefined;
  }

  /**
   * Keeps records read from the ledger after the ledger's version was read as `version`. Records of another version
   * are dropped first (a request still at an older version only costs the next ones a lookup).
   */
  keep(version: string, records: readonly (LibraryRecord | null)[]): void {
    if (version !== this.version) {
      this.version = version;
      this.byKey.clear();
      this.byRowId.clear();
    }
    for (const record of records) {
      if (!record || this.byRowId.size >= MAX_RECORDS) continue;
      this.byKey.set(keyOf(record), record);
      this.byRowId.set(record.rowId, record);
    }
  }
}
