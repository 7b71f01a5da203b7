/** In-memory state of the emulated Face resource: person groups, large person groups, detected faceIds. */
import type { GroupKind } from './errors';
import { newGuid } from './ids';
import { FINGERPRINT_SIDE, type FaceRect } from './images';

export type { GroupKind };

export interface FaceRecord {
  persistedFaceId: string;
  userData?: string;
  rect: FaceRect;
  /** 16×16 grey thumbnail used for identify (see images.ts) */
  fingerprint: Uint8Array;
}

export interface PersonRecord {
  personId: string;
  name: string;
  userData?: string;
  /** insertion order = persistedFaceIds order */
  faces: Map<string, FaceRecord>;
}

/** One training run. Its status is computed from the clock: running until `endsAt`, then `outcome`. */
export interface TrainingRecord {
  startedAt: number;
  endsAt: number;
  outcome: 'succeeded' | 'failed';
  message: string | null;
  /** the group's persons and face fingerprints when the training started (what identify searches) */
  model: { personId: string; fingerprints: Uint8Array[] }[];
}

export interface GroupRecord {
  kind: GroupKind;
  id: string;
  name: string;
  userData?: string;
  recognitionModel: string;
  createdAt: number;
  persons: Map<string, PersonRecord>;
  training?: TrainingRecord;
}

export interface DetectedFaceRecord {
  faceId: string;
  rect: FaceRect;
  fingerprint: Uint8Array;
  recognitionModel: string;
  expiresAt: number;
}

export type TrainingStatus = 'notstarted' | 'running' | 'succeeded' | 'failed';

/**
 * What `state.group()` returns: a LIVE view of the group. `name`, `userData`, `recognitionModel` and
 * `trainingStatus` are getters over the stored group, `persons` is the stored Map itself (persons and
 * their `faces` Maps change as the API is used; tests may also mutate them directly).
 */
export interface GroupView {
  readonly name: string;
  readonly userData?: string;
  readonly recognitionModel: string;
  /** 'notstarted' = never trained (the API answers 404 …NotTrained then) */
  readonly trainingStatus: TrainingStatus;
  readonly persons: Map<string, PersonRecord>;
}

export class EmulatorState {
  readonly personGroups = new Map<string, GroupRecord>();
  readonly largePersonGroups = new Map<string, GroupRecord>();
  /** faceIds issued by detect (returnFaceId=true), until they expire */
  readonly detectedFaces = new Map<string, DetectedFaceRecord>();

  constructor(private readonly now: () => number) {}

  groups(kind: GroupKind): Map<string, GroupRecord> {
    return kind === 'PersonGroup' ? this.personGroups : this.largePersonGroups;
  }

  trainingStatus(group: GroupRecord): TrainingStatus {
    const t = group.training;
    if (!t) return 'notstarted';
    return this.now() < t.endsAt ? 'running' : t.outcome;
  }

  group(kind: GroupKind, id: string): GroupView | undefined {
    const g = this.groups(kind).get(id);
    if (!g) return undefined;
    const state = this;
    return {
      get name() {
        return g.name;
      },
      get userData() {
        return g.userData;
      },
      get recognitionModel() {
        return g.recognitionModel;
      },
      get trainingStatus() {
        return state.trainingStatus(g);
      },
      persons: g.persons,
    };
  }

  /** Total persons over all groups of one kind (subscription-level quota). */
  personCount(kind: GroupKind): number {
    let n = 0;
    for (const g of this.groups(kind).values()) n += g.persons.size;
    return n;
  }

  /**
   * Adds `count` persons named `${namePrefix}${i}` without going through the API (no faces) — e.g. to
   * reach a quota in a test. Returns their personIds.
   */
  seedPersons(kind: GroupKind, id: string, count: number, namePrefix = 'seeded-'): string[] {
    const g = this.groups(kind).get(id);
    if (!g) throw new Error(`no ${kind} ${id}`);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const personId = newGuid();
      g.persons.set(personId, { personId, name: `${namePrefix}${i}`, faces: new Map() });
      ids.push(personId);
    }
    return ids;
  }

  /**
   * Adds `count` synthetic faces (flat mid-grey fingerprint) to a person without going through the
   * API — e.g. to reach the 248-face limit. Returns their persistedFaceIds.
   */
  seedFaces(kind: GroupKind, id: string, personId: string, count: number): string[] {
    const p = this.groups(kind).get(id)?.persons.get(personId);
    if (!p) throw new Error(`no person ${personId} in ${kind} ${id}`);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const persistedFaceId = newGuid();
      p.faces.set(persistedFaceId, {
        persistedFaceId,
        rect: { left: 50, top: 50, width: 100, height: 100 },
        fingerprint: new Uint8Array(FINGERPRINT_SIDE * FINGERPRINT_SIDE).fill(128),
      });
      ids.push(persistedFaceId);
    }
    return ids;
  }

  /** Forget every group and faceId (the `images` map of the emulator is left alone). */
  reset(): void {
    this.personGroups.clear();
    this.largePersonGroups.clear();
    this.detectedFaces.clear();
  }
}
