/** In-memory state of the emulated account: face sets, their faces, and the "OBS" objects FRS may read. */
import type { FieldValue, Schema } from './fields';
import { newExternalImageId, newFaceId } from './ids';
import type { BoundingBox } from './images';
import { FINGERPRINT_SIDE } from './images';

export interface FaceRecord {
  face_id: string;
  external_image_id: string;
  external_fields: Record<string, FieldValue>;
  bounding_box: BoundingBox;
  /** 16×16 grey thumbnail used for similarity (see images.ts). */
  fingerprint: Uint8Array;
}

export interface FaceSetRecord {
  face_set_name: string;
  face_set_id: string;
  face_set_capacity: number;
  external_fields: Schema;
  create_date: string;
  /** insertion order = the order of the offset/limit listing */
  faces: FaceRecord[];
}

export class EmulatorState {
  /** face sets by name (mutable: tests may inspect or seed directly). */
  readonly faceSets = new Map<string, FaceSetRecord>();
  /** objects readable through `image_url`, keyed by the exact URL/path the client sends. */
  readonly obs = new Map<string, Buffer>();

  getFaceSet(name: string): FaceSetRecord | undefined {
    return this.faceSets.get(name);
  }

  listFaceSets(): FaceSetRecord[] {
    return [...this.faceSets.values()];
  }

  faces(faceSetName: string): FaceRecord[] {
    return this.faceSets.get(faceSetName)?.faces ?? [];
  }

  findFace(faceId: string): { set: FaceSetRecord; face: FaceRecord } | undefined {
    for (const set of this.faceSets.values()) {
      const face = set.faces.find((f) => f.face_id === faceId);
      if (face) return { set, face };
    }
    return undefined;
  }

  /**
   * Adds `count` synthetic faces (flat mid-grey fingerprint, unique ids) to a set without going
   * through the API — e.g. to fill a set up to its capacity in a test.
   */
  seedFaces(faceSetName: string, count: number, fields: Record<string, FieldValue> = {}): FaceRecord[] {
    const set = this.faceSets.get(faceSetName);
    if (!set) throw new Error(`no face set ${faceSetName}`);
    const made: FaceRecord[] = [];
    for (let i = 0; i < count; i++) {
      const face: FaceRecord = {
        face_id: newFaceId(),
        external_image_id: newExternalImageId(),
        external_fields: { ...fields },
        bounding_box: { top_left_x: 50, top_left_y: 50, width: 100, height: 100 },
        fingerprint: new Uint8Array(FINGERPRINT_SIDE * FINGERPRINT_SIDE).fill(128),
      };
      set.faces.push(face);
      made.push(face);
    }
    return made;
  }

  reset(): void {
    this.faceSets.clear();
    this.obs.clear();
  }
}
