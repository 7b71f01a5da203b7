/** The FRS v2 face-set / face operations (notes §2, §3), independent of HTTP and authentication. */
import { FrsError } from './errors';
import {
  EXTERNAL_IMAGE_ID_RULE,
  FACE_SET_NAME_RULE,
  NUMERIC_TYPES,
  isPlainObject,
  parseSchema,
  parseTextValue,
  parseValues,
  type FieldValue,
  type Schema,
} from './fields';
import { compileFilter, type FacePredicate } from './filter';
import { newExternalImageId, newFaceId, newFaceSetId } from './ids';
import { detectFaces, largestFace, similarity, type DetectedFace, type ImageLimits } from './images';
import { MultipartError, boundaryOf, parseMultipart, type FormPart } from './multipart';
import type { EmulatorState, FaceRecord, FaceSetRecord } from './state';

export interface OperationInput {
  faceSetName?: string;
  /** decoded query pairs in received order */
  query: [string, string][];
  contentType: string | undefined;
  body: Buffer;
}

export interface OperationResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface ServiceOptions {
  maxFaceSets: number;
  limits: ImageLimits;
  now: () => number;
  /** behaviour where the notes are UNVERIFIED */
  quirks: Quirks;
}

export interface Quirks {
  /** `GET .../faces?face_id=<unknown>`: FRS.0403 error (default) or an empty `faces` list. */
  unknownFaceIdQuery: 'error' | 'empty';
  /** undeclared keys in `external_fields` on add/update: FRS.0402 (default) or silently dropped. */
  undeclaredFields: 'reject' | 'ignore';
}

const DEFAULT_CAPACITY = 100000;
const CAPACITY_STEP = 10000;
const MAX_LISTING = 10000;
const DEFAULT_LIMIT = 5;
const DEFAULT_TOP_N = 10;
const MAX_TOP_N = 1000;
const BASE64_RULE = /^[A-Za-z0-9+/]*={0,2}$/;

/** `YYYY-MM-DD HH:mm:ss` in UTC (the real time zone is UNVERIFIED). */
function formatCreateDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function faceSetInfo(set: FaceSetRecord) {
  return {
    face_set_name: set.face_set_name,
    face_set_id: set.face_set_id,
    face_number: set.faces.length,
    external_fields: set.external_fields,
    face_set_capacity: set.face_set_capacity,
    create_date: set.create_date,
  };
}

function faceView(face: FaceRecord, fields?: readonly string[]) {
  const external_fields: Record<string, FieldValue> = {};
  for (const [k, v] of Object.entries(face.external_fields)) {
    if (!fields || fields.includes(k)) external_fields[k] = v;
  }
  return {
    bounding_box: { ...face.bounding_box },
    external_image_id: face.external_image_id,
    external_fields,
    face_id: face.face_id,
  };
}

function ok(body: unknown): OperationResult {
  return { status: 200, body };
}

/** Parameters of add/search after the JSON or multipart envelope has been read. */
interface Envelope {
  multipart: boolean;
  values: Record<string, unknown>;
  file?: FormPart;
}

export class FrsService {
  constructor(
    private readonly state: EmulatorState,
    private readonly options: ServiceOptions,
  ) {}

  // ---------------------------------------------------------------- face sets

  createFaceSet(input: OperationInput): OperationResult {
    const body = this.json(input);
    const name = body['face_set_name'];
    if (name === undefined || name === null || name === '') throw new FrsError('FRS.0011', 'face_set_name');
    if (typeof name !== 'string' || !FACE_SET_NAME_RULE.test(name)) throw new FrsError('FRS.0012', 'face_set_name');

    let capacity = DEFAULT_CAPACITY;
    const rawCapacity = body['face_set_capacity'];
    if (rawCapacity !== undefined && rawCapacity !== null) {
      // The doc's own example sends "100000" as a string; numeric strings are tolerated (UNVERIFIED).
      const n = typeof rawCapacity === 'string' && /^\d+$/.test(rawCapacity) ? Number(rawCapacity) : rawCapacity;
      if (
        typeof n !== 'number' ||
        !Number.isInteger(n) ||
        n < CAPACITY_STEP ||
        n > DEFAULT_CAPACITY ||
        n % CAPACITY_STEP !== 0
      ) {
        throw new FrsError('FRS.0012', 'face_set_capacity');
      }
      capacity = n;
    }
    const rawFields = body['external_fields'];
    const schema: Schema = rawFields === undefined || rawFields === null ? {} : parseSchema(rawFields);

    if (this.state.faceSets.has(name)) throw new FrsError('FRS.0301');
    if (this.state.faceSets.size >= this.options.maxFaceSets) throw new FrsError('FRS.0305');
    const set: FaceSetRecord = {
      face_set_name: name,
      face_set_id: newFaceSetId(),
      face_set_capacity: capacity,
      external_fields: schema,
      create_date: formatCreateDate(this.options.now()),
      faces: [],
    };
    this.state.faceSets.set(name, set);
    return ok({ face_set_info: faceSetInfo(set) });
  }

  listFaceSets(): OperationResult {
    return ok({ face_sets_info: this.state.listFaceSets().map(faceSetInfo) });
  }

  getFaceSet(input: OperationInput): OperationResult {
    return ok({ face_set_info: faceSetInfo(this.set(input)) });
  }

  deleteFaceSet(input: OperationInput): OperationResult {
    const set = this.set(input);
    this.state.faceSets.delete(set.face_set_name);
    return ok({ face_set_name: set.face_set_name });
  }

  // ---------------------------------------------------------------- faces

  async addFaces(input: OperationInput): Promise<OperationResult> {
    const set = this.set(input);
    const env = this.envelope(input);
    const image = this.imageSource(env, false);

    const rawId = env.values['external_image_id'];
    let externalImageId: string | undefined;
    if (rawId !== undefined && rawId !== null && rawId !== '') {
      if (typeof rawId !== 'string' || !EXTERNAL_IMAGE_ID_RULE.test(rawId))
        throw new FrsError('FRS.0012', 'external_image_id');
      externalImageId = rawId;
    }
    let fieldsRaw = env.values['external_fields'];
    if (env.multipart && typeof fieldsRaw === 'string') fieldsRaw = this.jsonText(fieldsRaw, 'external_fields');
    const fields =
      fieldsRaw === undefined || fieldsRaw === null
        ? {}
        : parseValues(set.external_fields, fieldsRaw, { undeclared: this.options.quirks.undeclaredFields });
    const single = this.booleanParam(env, 'single', false);

    if (set.faces.length >= set.face_set_capacity) throw new FrsError('FRS.0306');
    const detected = await detectFaces(await image(), this.options.limits);
    if (detected.length === 0) throw new FrsError('FRS.0404');
    const chosen: DetectedFace[] = single ? [largestFace(detected) as DetectedFace] : detected;
    if (set.faces.length + chosen.length > set.face_set_capacity) throw new FrsError('FRS.0306');

    const imageId = externalImageId ?? newExternalImageId();
    const added = chosen.map((d) => {
      const face: FaceRecord = {
        face_id: this.uniqueFaceId(),
        external_image_id: imageId,
        external_fields: { ...fields },
        bounding_box: d.box,
        fingerprint: d.fingerprint,
      };
      set.faces.push(face);
      return face;
    });
    return ok({ face_set_id: set.face_set_id, face_set_name: set.face_set_name, faces: added.map((f) => faceView(f)) });
  }

  queryFaces(input: OperationInput): OperationResult {
    const set = this.set(input);
    const q = new Map(input.query);
    const head = { face_set_id: set.face_set_id, face_set_name: set.face_set_name };
    if (q.has('face_id')) {
      const faceId = q.get('face_id') as string;
      if (faceId === '') throw new FrsError('FRS.0011', 'face_id');
      const face = set.faces.find((f) => f.face_id === faceId);
      if (face) return ok({ ...head, faces: [faceView(face)] });
      if (this.options.quirks.unknownFaceIdQuery === 'empty') return ok({ ...head, faces: [] });
      throw new FrsError('FRS.0403', 'can not query face');
    }
    const offset = this.intQuery(q, 'offset', 0, 0);
    const limit = this.intQuery(q, 'limit', DEFAULT_LIMIT, 1);
    if (offset + limit > MAX_LISTING) throw new FrsError('FRS.0012', `offset + limit must not exceed ${MAX_LISTING}`);
    return ok({ ...head, faces: set.faces.slice(offset, offset + limit).map((f) => faceView(f)) });
  }

  updateFace(input: OperationInput): OperationResult {
    const set = this.set(input);
    const body = this.json(input);
    const faceId = body['face_id'];
    if (faceId === undefined || faceId === null || faceId === '') throw new FrsError('FRS.0011', 'face_id');
    if (typeof faceId !== 'string') throw new FrsError('FRS.0012', 'face_id');
    const rawId = body['external_image_id'];
    const rawFields = body['external_fields'];
    const hasId = rawId !== undefined && rawId !== null;
    const hasFields = rawFields !== undefined && rawFields !== null;
    if (!hasId && !hasFields) throw new FrsError('FRS.0011', 'external_image_id or external_fields');
    if (hasId && (typeof rawId !== 'string' || !EXTERNAL_IMAGE_ID_RULE.test(rawId)))
      throw new FrsError('FRS.0012', 'external_image_id');
    const fields = hasFields
      ? parseValues(set.external_fields, rawFields, { undeclared: this.options.quirks.undeclaredFields })
      : undefined;

    const face = set.faces.find((f) => f.face_id === faceId);
    if (!face) throw new FrsError('FRS.0303');
    if (hasId) face.external_image_id = rawId as string;
    // Given keys overwrite, other stored keys are kept (merge vs. replace is UNVERIFIED).
    if (fields) face.external_fields = { ...face.external_fields, ...fields };
    return ok({ face_number: 1, face_set_id: set.face_set_id, face_set_name: set.face_set_name });
  }

  deleteFaces(input: OperationInput): OperationResult {
    const set = this.set(input);
    if (input.query.length === 0) throw new FrsError('FRS.0011', 'face_id, external_image_id or a custom field');
    if (input.query.length > 1) throw new FrsError('FRS.0012', 'exactly one query parameter is allowed');
    const [field, value] = input.query[0] as [string, string];
    if (value === '') throw new FrsError('FRS.0011', field);

    let doomed: FaceRecord[];
    if (field === 'face_id') {
      doomed = set.faces.filter((f) => f.face_id === value);
      if (doomed.length === 0) throw new FrsError('FRS.0403', 'can not delete face');
    } else if (field === 'external_image_id') {
      doomed = set.faces.filter((f) => f.external_image_id === value);
      if (doomed.length === 0) throw new FrsError('FRS.0402', 'External id is not exist, can not delete face');
    } else {
      const decl = set.external_fields[field];
      if (!decl) throw new FrsError('FRS.0402', `${field} is not defined in the face set, can not delete face`);
      const wanted = parseTextValue(decl.type, value);
      if (wanted === undefined) throw new FrsError('FRS.0012', `${field} must be ${decl.type}`);
      doomed = set.faces.filter((f) => f.external_fields[field] === wanted);
      if (doomed.length === 0) throw new FrsError('FRS.0401');
    }
    return ok(this.remove(set, doomed));
  }

  batchDeleteFaces(input: OperationInput): OperationResult {
    const set = this.set(input);
    const body = this.json(input);
    const filter = body['filter'];
    if (filter === undefined || filter === null || filter === '') throw new FrsError('FRS.0011', 'filter');
    if (typeof filter !== 'string') throw new FrsError('FRS.0012', 'filter');
    const predicate = compileFilter(filter, set.external_fields);
    const doomed = set.faces.filter(predicate);
    if (doomed.length === 0) throw new FrsError('FRS.0407', 'no data to be deleted');
    return ok(this.remove(set, doomed));
  }

  async searchFaces(input: OperationInput): Promise<OperationResult> {
    const set = this.set(input);
    const env = this.envelope(input);
    const image = this.imageSource(env, true);

    const topN = this.intParam(env, 'top_n', DEFAULT_TOP_N, 0, MAX_TOP_N);
    const threshold = this.numberParam(env, 'threshold', 0, 0, 1);
    const sort = this.sortParam(env, set.external_fields);
    const filterText = env.values['filter'];
    let predicate: FacePredicate = () => true;
    if (filterText !== undefined && filterText !== null && filterText !== '') {
      if (typeof filterText !== 'string') throw new FrsError('FRS.0012', 'filter');
      predicate = compileFilter(filterText, set.external_fields);
    }
    const returnFields = this.returnFieldsParam(env, set.external_fields);

    let probe: Uint8Array;
    const faceId = env.values['face_id'];
    if (typeof faceId === 'string' && faceId !== '') {
      const face = set.faces.find((f) => f.face_id === faceId);
      if (!face) throw new FrsError('FRS.0403', 'can not search face');
      probe = face.fingerprint;
    } else {
      const detected = await detectFaces(await image(), this.options.limits);
      const largest = largestFace(detected);
      if (!largest) throw new FrsError('FRS.0304');
      probe = largest.fingerprint;
    }

    let hits = set.faces
      .filter(predicate)
      .map((face, order) => ({ face, order, sim: similarity(probe, face.fingerprint) }))
      .filter((h) => h.sim >= threshold)
      .sort((a, b) => b.sim - a.sim || a.order - b.order)
      .slice(0, topN);
    if (sort.length > 0) {
      // top_n by similarity first, then ordered by the sort keys (this combination is UNVERIFIED).
      hits = hits.slice().sort((a, b) => {
        for (const { field, desc } of sort) {
          const va = a.face.external_fields[field];
          const vb = b.face.external_fields[field];
          if (va === vb) continue;
          if (typeof va !== 'number') return 1;
          if (typeof vb !== 'number') return -1;
          return desc ? vb - va : va - vb;
        }
        return b.sim - a.sim || a.order - b.order;
      });
    }
    return ok({ faces: hits.map((h) => ({ ...faceView(h.face, returnFields), similarity: h.sim })) });
  }

  // ---------------------------------------------------------------- helpers

  private set(input: OperationInput): FaceSetRecord {
    const set = input.faceSetName === undefined ? undefined : this.state.faceSets.get(input.faceSetName);
    if (!set) throw new FrsError('FRS.0302');
    return set;
  }

  private remove(set: FaceSetRecord, doomed: FaceRecord[]) {
    const gone = new Set(doomed);
    set.faces = set.faces.filter((f) => !gone.has(f));
    return { face_number: gone.size, face_set_id: set.face_set_id, face_set_name: set.face_set_name };
  }

  private uniqueFaceId(): string {
    for (;;) {
      const id = newFaceId();
      if (!this.state.findFace(id)) return id;
    }
  }

  private json(input: OperationInput): Record<string, unknown> {
    if (input.contentType === undefined || input.contentType.trim() === '')
      throw new FrsError('FRS.0010', 'Content-Type');
    let parsed: unknown;
    try {
      parsed = JSON.parse(input.body.toString('utf8'));
    } catch {
      throw new FrsError('FRS.0014');
    }
    if (!isPlainObject(parsed)) throw new FrsError('FRS.0014');
    return parsed;
  }

  private jsonText(text: string, name: string): unknown {
    try {
      return JSON.parse(text);
    } catch {
      throw new FrsError('FRS.0012', name);
    }
  }

  private envelope(input: OperationInput): Envelope {
    const type = input.contentType ?? '';
    if (!/^multipart\/form-data/i.test(type.trim())) return { multipart: false, values: this.json(input) };
    const boundary = boundaryOf(type);
    if (!boundary) throw new FrsError('FRS.0012', 'multipart boundary');
    let parts: FormPart[];
    try {
      parts = parseMultipart(input.body, boundary);
    } catch (e) {
      if (e instanceof MultipartError) throw new FrsError('FRS.0012', `multipart body, ${e.message}`);
      throw e;
    }
    const values: Record<string, unknown> = {};
    let file: FormPart | undefined;
    for (const part of parts) {
      if (part.name === 'image_file') file = part;
      else values[part.name] = part.data.toString('utf8');
    }
    return { multipart: true, values, file };
  }

  /** Returns a thunk producing the image bytes, after checking that exactly one source was given. */
  private imageSource(env: Envelope, allowFaceId: boolean): () => Promise<Buffer> {
    const present = (v: unknown) => v !== undefined && v !== null && v !== '';
    const sources: string[] = [];
    if (env.multipart) {
      if (env.file) sources.push('image_file');
    } else {
      if (present(env.values['image_base64'])) sources.push('image_base64');
      if (present(env.values['image_url'])) sources.push('image_url');
    }
    if (allowFaceId && present(env.values['face_id'])) sources.push('face_id');
    const names = env.multipart
      ? 'image_file'
      : allowFaceId
        ? 'image_url, image_base64 or face_id'
        : 'image_url or image_base64';
    if (sources.length === 0) throw new FrsError('FRS.0011', names);
    if (sources.length > 1) throw new FrsError('FRS.0012', `only one of ${sources.join(', ')} may be given`);

    switch (sources[0]) {
      case 'image_file': {
        const data = (env.file as FormPart).data;
        if (data.length === 0) throw new FrsError('FRS.0011', 'image_file');
        return async () => data;
      }
      case 'image_base64': {
        const b64 = env.values['image_base64'];
        if (typeof b64 !== 'string') throw new FrsError('FRS.0012', 'image_base64');
        if (b64.length > this.options.limits.maxImageBytes)
          throw new FrsError('FRS.0013', 'the base64 image is larger than 8MB');
        if (b64.length % 4 !== 0 || !BASE64_RULE.test(b64)) throw new FrsError('FRS.0015');
        return async () => Buffer.from(b64, 'base64');
      }
      case 'image_url': {
        const url = env.values['image_url'];
        if (typeof url !== 'string' || !(/^\/[^/]+\/.+/.test(url) || /^https?:\/\/[^/\s]+\/\S+$/.test(url)))
          throw new FrsError('FRS.0021');
        return async () => {
          const object = this.state.obs.get(url);
          if (!object)
            throw new FrsError('FRS.0022', 'the object does not exist or FRS is not authorised on the bucket');
          return object;
        };
      }
      default:
        // face_id: the caller reads the stored fingerprint instead.
        return async () => Buffer.alloc(0);
    }
  }

  private booleanParam(env: Envelope, name: string, fallback: boolean): boolean {
    const v = env.values[name];
    if (v === undefined || v === null) return fallback;
    if (typeof v === 'boolean') return v;
    if (env.multipart && (v === 'true' || v === 'false')) return v === 'true';
    throw new FrsError('FRS.0012', name);
  }

  private intParam(env: Envelope, name: string, fallback: number, min: number, max: number): number {
    let v = env.values[name];
    if (v === undefined || v === null) return fallback;
    if (env.multipart && typeof v === 'string' && /^-?\d+$/.test(v)) v = Number(v);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new FrsError('FRS.0012', `${name} must be an integer in [${min}, ${max}]`);
    return v;
  }

  private numberParam(env: Envelope, name: string, fallback: number, min: number, max: number): number {
    let v = env.values[name];
    if (v === undefined || v === null) return fallback;
    if (env.multipart && typeof v === 'string' && /^-?(\d+\.?\d*|\.\d+)$/.test(v)) v = Number(v);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
      throw new FrsError('FRS.0012', `${name} must be a number in [${min}, ${max}]`);
    return v;
  }

  private sortParam(env: Envelope, schema: Schema): { field: string; desc: boolean }[] {
    let raw = env.values['sort'];
    if (raw === undefined || raw === null) return [];
    if (env.multipart && typeof raw === 'string') raw = this.jsonText(raw, 'sort');
    if (!Array.isArray(raw)) throw new FrsError('FRS.0012', 'sort');
    const keys = new Map<string, boolean>();
    for (const item of raw) {
      if (!isPlainObject(item) || Object.keys(item).length !== 1) throw new FrsError('FRS.0012', 'sort');
      const [field, order] = Object.entries(item)[0] as [string, unknown];
      if (order !== 'asc' && order !== 'desc') throw new FrsError('FRS.0012', `sort order of ${field}`);
      const decl = schema[field];
      if (!decl || !NUMERIC_TYPES.includes(decl.type)) throw new FrsError('FRS.0032', field);
      keys.delete(field); // a repeated field overwrites the earlier one
      keys.set(field, order === 'desc');
    }
    return [...keys].map(([field, desc]) => ({ field, desc }));
  }

  private returnFieldsParam(env: Envelope, schema: Schema): string[] | undefined {
    let raw = env.values['return_fields'];
    if (raw === undefined || raw === null) return undefined;
    if (env.multipart && typeof raw === 'string') raw = this.jsonText(raw, 'return_fields');
    if (!Array.isArray(raw) || raw.some((f) => typeof f !== 'string')) throw new FrsError('FRS.0012', 'return_fields');
    for (const f of raw as string[]) {
      if (!schema[f]) throw new FrsError('FRS.0402', `return field ${f} is not defined in the face set`);
    }
    return raw as string[];
  }

  private intQuery(q: Map<string, string>, name: string, fallback: number, min: number): number {
    const v = q.get(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min) throw new FrsError('FRS.0012', name);
    return Number(v);
  }
}
