/** The Face v1.0 person-group operations (notes §3–§6, §9, §10), independent of HTTP and authentication. */
import { Errors, unsupportedFeature, type GroupKind } from './errors';
import { GROUP_ID_RULE, isGuid, newGuid } from './ids';
import { analyseImage, confidence, parseTargetFace, pickFace, type FaceRect } from './images';
import type { EmulatorState, FaceRecord, GroupRecord, PersonRecord } from './state';

export interface OperationInput {
  kind?: GroupKind;
  groupId?: string;
  personId?: string;
  persistedFaceId?: string;
  /** decoded query parameters; names lower-cased, first value wins */
  query: Map<string, string>;
  contentType: string | undefined;
  body: Buffer;
}

export interface OperationResult {
  status: number;
  /** undefined = empty body */
  body?: unknown;
  headers?: Record<string, string>;
}

export type Tier = 'F0' | 'S0';

export interface TierLimits {
  groupsPerResource: number;
  personsPerPersonGroup: number;
  personsPerLargePersonGroup: number;
  personsAcrossPersonGroups: number;
  personsAcrossLargePersonGroups: number;
  facesPerPerson: number;
}

/** Notes §2.3 (QUOTA-DOC, SDK-1.0, TSP). The F0 total over all large person groups is UNVERIFIED (S0 value used). */
export const TIER_LIMITS: Record<Tier, TierLimits> = {
  F0: {
    groupsPerResource: 1000,
    personsPerPersonGroup: 1000,
    personsPerLargePersonGroup: 1000,
    personsAcrossPersonGroups: 1000,
    personsAcrossLargePersonGroups: 1_000_000_000,
    facesPerPerson: 248,
  },
  S0: {
    groupsPerResource: 1_000_000,
    personsPerPersonGroup: 10_000,
    personsPerLargePersonGroup: 1_000_000,
    personsAcrossPersonGroups: 100_000_000,
    personsAcrossLargePersonGroups: 1_000_000_000,
    facesPerPerson: 248,
  },
};

export interface ServiceOptions {
  limits: TierLimits;
  trainingMs: number;
  identifyAllowed: boolean;
  /** with identifyAllowed false: also refuse detect with returnFaceId=true */
  limitedAccessGatesDetect: boolean;
  /** identify threshold when the request has none (the real default is "specified by algorithm") */
  defaultConfidenceThreshold: number;
  now: () => number;
  /** the "internet": image bytes by exact URL */
  images: Map<string, Buffer>;
}

export const RECOGNITION_MODELS = ['recognition_01', 'recognition_02', 'recognition_03', 'recognition_04'];
export const DETECTION_MODELS = ['detection_01', 'detection_02', 'detection_03'];
const NAME_MAX = 128;
const USER_DATA_MAX = 16384;
const FACE_USER_DATA_MAX = 1024;
const PAGE_MAX = 1000;
const FACE_ID_TTL_DEFAULT = 86400;
const DETECT_MAX_FACES = 100;

const ok = (body?: unknown, status = 200): OperationResult => ({ status, body });
const iso = (ms: number): string => new Date(ms).toISOString();

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** A JSON request body: `application/json` (any parameters), parsed to an object. */
function jsonBody(input: OperationInput): Record<string, unknown> {
  if (mediaType(input.contentType) !== 'application/json') throw Errors.mediaType();
  const text = input.body.toString('utf8');
  if (text.trim() === '') throw Errors.requestBodyInvalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw Errors.jsonParsing();
  }
  if (!isPlainObject(parsed)) throw Errors.requestBodyInvalid();
  return parsed;
}

/** A string field; absent and null both mean "not given". */
function stringField(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw Errors.requestBodyInvalid();
  return v;
}

function checkName(name: string | undefined, required: boolean): void {
  if (name === undefined ? required : name.length === 0) throw Errors.nameEmpty();
  if (name !== undefined && name.length > NAME_MAX) throw Errors.nameTooLong();
}

function checkUserData(userData: string | undefined, max: number): void {
  if (userData !== undefined && userData.length > max) throw Errors.userDataTooLong();
}

function boolParam(query: Map<string, string>, name: string, fallback: boolean): boolean {
  const v = query.get(name.toLowerCase());
  if (v === undefined || v === '') return fallback;
  return v.toLowerCase() === 'true';
}

function idKey(kind: GroupKind): 'personGroupId' | 'largePersonGroupId' {
  return kind === 'PersonGroup' ? 'personGroupId' : 'largePersonGroupId';
}

/** `start` (exclusive, by id) / `top` (1..1000, default 1000) paging over items sorted by id (notes §2.4). */
function page<T>(items: T[], id: (t: T) => string, query: Map<string, string>, startMax?: number): T[] {
  const start = query.get('start') ?? '';
  if (startMax !== undefined && start.length > startMax) throw Errors.startTooLong();
  const rawTop = query.get('top') ?? '';
  let top = PAGE_MAX;
  if (rawTop !== '') {
    if (!/^\d+$/.test(rawTop)) throw Errors.topInvalid();
    top = Number(rawTop);
    if (top < 1 || top > PAGE_MAX) throw Errors.topInvalid();
  }
  const sorted = [...items].sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
  return sorted.filter((t) => start === '' || id(t) > start).slice(0, top);
}

export class FaceService {
  constructor(
    private readonly state: EmulatorState,
    private readonly options: ServiceOptions,
  ) {}

  // ---------------------------------------------------------------------------------------------
  // lookups

  private group(input: OperationInput): GroupRecord {
    const kind = input.kind as GroupKind;
    const id = input.groupId ?? '';
    if (!GROUP_ID_RULE.test(id)) throw Errors.groupIdInvalid(kind);
    const g = this.state.groups(kind).get(id);
    if (!g) throw Errors.groupNotFound(kind);
    return g;
  }

  private person(g: GroupRecord, input: OperationInput): PersonRecord {
    const raw = input.personId ?? '';
    if (!isGuid(raw)) throw Errors.personIdInvalid();
    const p = g.persons.get(raw.toLowerCase());
    if (!p) throw Errors.personNotFound(raw);
    return p;
  }

  private face(p: PersonRecord, input: OperationInput): FaceRecord {
    const raw = input.persistedFaceId ?? '';
    if (!isGuid(raw)) throw Errors.faceIdInvalid();
    const f = p.faces.get(raw.toLowerCase());
    if (!f) throw Errors.faceNotFound(raw);
    return f;
  }

  private training(g: GroupRecord): boolean {
    return this.state.trainingStatus(g) === 'running';
  }

  private groupView(g: GroupRecord, withModel: boolean) {
    const view: Record<string, unknown> = { [idKey(g.kind)]: g.id, name: g.name };
    if (g.userData !== undefined) view['userData'] = g.userData;
    if (withModel) view['recognitionModel'] = g.recognitionModel;
    return view;
  }

  private personView(p: PersonRecord) {
    const view: Record<string, unknown> = { personId: p.personId, name: p.name };
    if (p.userData !== undefined) view['userData'] = p.userData;
    view['persistedFaceIds'] = [...p.faces.keys()];
    return view;
  }

  // ---------------------------------------------------------------------------------------------
  // groups (§3)

  createGroup(input: OperationInput): OperationResult {
    const kind = input.kind as GroupKind;
    const id = input.groupId ?? '';
    if (!GROUP_ID_RULE.test(id)) throw Errors.groupIdInvalidOnCreate(kind);
    const body = jsonBody(input);
    const name = stringField(body, 'name');
    const userData = stringField(body, 'userData');
    const recognitionModel = stringField(body, 'recognitionModel');
    checkName(name, true);
    checkUserData(userData, USER_DATA_MAX);
    if (recognitionModel !== undefined && !RECOGNITION_MODELS.includes(recognitionModel))
      throw Errors.recognitionModelInvalid();
    const groups = this.state.groups(kind);
    if (groups.has(id)) throw Errors.groupExists(kind);
    if (groups.size >= this.options.limits.groupsPerResource) throw Errors.groupQuota(kind);
    const g: GroupRecord = {
      kind,
      id,
      name: name as string,
      recognitionModel: recognitionModel ?? 'recognition_01',
      createdAt: this.options.now(),
      persons: new Map(),
    };
    if (userData !== undefined) g.userData = userData;
    groups.set(id, g);
    return ok();
  }

  getGroup(input: OperationInput): OperationResult {
    const g = this.group(input);
    return ok(this.groupView(g, boolParam(input.query, 'returnRecognitionModel', false)));
  }

  listGroups(input: OperationInput): OperationResult {
    const kind = input.kind as GroupKind;
    const items = page([...this.state.groups(kind).values()], (g) => g.id, input.query, 64);
    const withModel = boolParam(input.query, 'returnRecognitionModel', false);
    return ok(items.map((g) => this.groupView(g, withModel)));
  }

  updateGroup(input: OperationInput): OperationResult {
    const g = this.group(input);
    const body = jsonBody(input);
    const name = stringField(body, 'name');
    const userData = stringField(body, 'userData');
    if (g.kind === 'LargePersonGroup' && name === undefined && userData === undefined) throw Errors.bothEmpty();
    checkName(name, false);
    checkUserData(userData, USER_DATA_MAX);
    if (name !== undefined) g.name = name;
    if (userData !== undefined) g.userData = userData;
    return ok();
  }

  deleteGroup(input: OperationInput): OperationResult {
    const g = this.group(input);
    if (this.training(g)) throw Errors.underTraining(g.kind);
    this.state.groups(g.kind).delete(g.id);
    return ok();
  }

  // ---------------------------------------------------------------------------------------------
  // training (§6)

  train(input: OperationInput): OperationResult {
    const g = this.group(input);
    if (this.training(g)) throw Errors.underTraining(g.kind);
    const model = [...g.persons.values()]
      .map((p) => ({ personId: p.personId, fingerprints: [...p.faces.values()].map((f) => f.fingerprint) }))
      .filter((m) => m.fingerprints.length > 0);
    const startedAt = this.options.now();
    g.training = {
      startedAt,
      endsAt: startedAt + this.options.trainingMs,
      outcome: model.length > 0 ? 'succeeded' : 'failed',
      // emulator wording: the real failure text is UNVERIFIED (notes §6)
      message: model.length > 0 ? null : 'There is no face in the group to train.',
      model,
    };
    return ok(undefined, 202);
  }

  getTraining(input: OperationInput): OperationResult {
    const g = this.group(input);
    const t = g.training;
    if (!t) throw Errors.groupNotTrained(g.kind);
    const status = this.state.trainingStatus(g);
    return ok({
      status,
      createdDateTime: iso(g.createdAt),
      lastActionDateTime: iso(status === 'running' ? t.startedAt : t.endsAt),
      message: status === 'running' ? null : t.message,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // persons (§4)

  createPerson(input: OperationInput): OperationResult {
    const g = this.group(input);
    const body = jsonBody(input);
    const name = stringField(body, 'name');
    const userData = stringField(body, 'userData');
    checkName(name, true);
    checkUserData(userData, USER_DATA_MAX);
    const limits = this.options.limits;
    const large = g.kind === 'LargePersonGroup';
    if (g.persons.size >= (large ? limits.personsPerLargePersonGroup : limits.personsPerPersonGroup))
      throw Errors.personQuota(g.kind);
    if (
      this.state.personCount(g.kind) >=
      (large ? limits.personsAcrossLargePersonGroups : limits.personsAcrossPersonGroups)
    ) {
      throw Errors.subscriptionPersonQuota();
    }
    const personId = newGuid();
    const p: PersonRecord = { personId, name: name as string, faces: new Map() };
    if (userData !== undefined) p.userData = userData;
    g.persons.set(personId, p);
    return ok({ personId });
  }

  getPerson(input: OperationInput): OperationResult {
    const g = this.group(input);
    return ok(this.personView(this.person(g, input)));
  }

  listPersons(input: OperationInput): OperationResult {
    const g = this.group(input);
    return ok(page([...g.persons.values()], (p) => p.personId, input.query).map((p) => this.personView(p)));
  }

  updatePerson(input: OperationInput): OperationResult {
    const g = this.group(input);
    const p = this.person(g, input);
    const body = jsonBody(input);
    const name = stringField(body, 'name');
    const userData = stringField(body, 'userData');
    if (g.kind === 'LargePersonGroup' && name === undefined && userData === undefined) throw Errors.bothEmpty();
    checkName(name, false);
    checkUserData(userData, USER_DATA_MAX);
    if (name !== undefined) p.name = name;
    if (userData !== undefined) p.userData = userData;
    return ok();
  }

  deletePerson(input: OperationInput): OperationResult {
    const g = this.group(input);
    const p = this.person(g, input);
    g.persons.delete(p.personId);
    return ok();
  }

  // ---------------------------------------------------------------------------------------------
  // persisted faces (§5)

  /** `{url}` JSON (only URLs registered in `images`) or octet-stream bytes. */
  private async imageBytes(input: OperationInput): Promise<Buffer> {
    const type = mediaType(input.contentType);
    if (type === 'application/octet-stream') return input.body;
    if (type !== 'application/json') throw Errors.mediaType();
    const body = jsonBody(input);
    const url = stringField(body, 'url');
    if (url === undefined || url === '') throw Errors.invalidUrl();
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw Errors.invalidUrl();
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw Errors.invalidUrl();
    const bytes = this.options.images.get(url);
    if (!bytes) throw Errors.downloadFailed();
    return bytes;
  }

  async addFace(input: OperationInput): Promise<OperationResult> {
    const g = this.group(input);
    const p = this.person(g, input);
    if (this.training(g)) throw Errors.underTraining(g.kind);
    const userData = input.query.get('userdata');
    checkUserData(userData, FACE_USER_DATA_MAX);
    const detectionModel = input.query.get('detectionmodel');
    if (detectionModel !== undefined && detectionModel !== '' && !DETECTION_MODELS.includes(detectionModel))
      throw Errors.detectionModelInvalid();
    const rawTarget = input.query.get('targetface');
    const target: FaceRect | undefined =
      rawTarget === undefined || rawTarget === '' ? undefined : parseTargetFace(rawTarget);
    if (p.faces.size >= this.options.limits.facesPerPerson) throw Errors.faceQuota();
    const image = await analyseImage(await this.imageBytes(input));
    const detected = pickFace(image, target);
    const persistedFaceId = newGuid();
    const face: FaceRecord = { persistedFaceId, rect: detected.rect, fingerprint: detected.fingerprint };
    if (userData !== undefined && userData !== '') face.userData = userData;
    p.faces.set(persistedFaceId, face);
    return ok({ persistedFaceId });
  }

  getFace(input: OperationInput): OperationResult {
    const g = this.group(input);
    const f = this.face(this.person(g, input), input);
    return ok(
      f.userData === undefined
        ? { persistedFaceId: f.persistedFaceId }
        : { persistedFaceId: f.persistedFaceId, userData: f.userData },
    );
  }

  updateFace(input: OperationInput): OperationResult {
    const g = this.group(input);
    const f = this.face(this.person(g, input), input);
    const body = jsonBody(input);
    const userData = stringField(body, 'userData');
    checkUserData(userData, FACE_USER_DATA_MAX);
    if (userData !== undefined) f.userData = userData;
    return ok();
  }

  deleteFace(input: OperationInput): OperationResult {
    const g = this.group(input);
    const p = this.person(g, input);
    const f = this.face(p, input);
    p.faces.delete(f.persistedFaceId);
    return ok();
  }

  // ---------------------------------------------------------------------------------------------
  // detect / identify

  async detect(input: OperationInput): Promise<OperationResult> {
    const returnFaceId = boolParam(input.query, 'returnFaceId', true);
    if (returnFaceId && !this.options.identifyAllowed && this.options.limitedAccessGatesDetect)
      throw unsupportedFeature();
    const recognitionModel = input.query.get('recognitionmodel') || 'recognition_01';
    if (!RECOGNITION_MODELS.includes(recognitionModel)) throw Errors.recognitionModelInvalid();
    const detectionModel = input.query.get('detectionmodel');
    if (detectionModel !== undefined && detectionModel !== '' && !DETECTION_MODELS.includes(detectionModel))
      throw Errors.detectionModelInvalid();
    const rawTtl = input.query.get('faceidtimetolive');
    let ttl = FACE_ID_TTL_DEFAULT;
    if (rawTtl !== undefined && rawTtl !== '') {
      if (!/^\d+$/.test(rawTtl) || Number(rawTtl) < 60 || Number(rawTtl) > 86400) throw Errors.faceIdTtlInvalid();
      ttl = Number(rawTtl);
    }
    const withModel = boolParam(input.query, 'returnRecognitionModel', false);
    const image = await analyseImage(await this.imageBytes(input));
    const faces = [...image.faces]
      .sort((a, b) => b.rect.width * b.rect.height - a.rect.width * a.rect.height || a.rect.left - b.rect.left)
      .slice(0, DETECT_MAX_FACES);
    const now = this.options.now();
    return ok(
      faces.map((f) => {
        const out: Record<string, unknown> = {};
        if (returnFaceId) {
          const faceId = newGuid();
          this.state.detectedFaces.set(faceId, {
            faceId,
            rect: f.rect,
            fingerprint: f.fingerprint,
            recognitionModel,
            expiresAt: now + ttl * 1000,
          });
          out['faceId'] = faceId;
        }
        out['faceRectangle'] = { top: f.rect.top, left: f.rect.left, width: f.rect.width, height: f.rect.height };
        if (withModel) out['recognitionModel'] = recognitionModel;
        return out;
      }),
    );
  }

  identify(input: OperationInput): OperationResult {
    if (!this.options.identifyAllowed) throw unsupportedFeature();
    const body = jsonBody(input);
    const faceIds = body['faceIds'];
    if (!Array.isArray(faceIds))
      throw faceIds === undefined || faceIds === null ? Errors.faceIdsLength() : Errors.requestBodyInvalid();
    if (faceIds.length < 1 || faceIds.length > 10) throw Errors.faceIdsLength();
    if (!faceIds.every((f): f is string => typeof f === 'string')) throw Errors.requestBodyInvalid();
    const pgId = stringField(body, 'personGroupId');
    const lpgId = stringField(body, 'largePersonGroupId');
    if (pgId !== undefined && lpgId !== undefined) throw Errors.bothGroupIds();
    if (pgId === undefined && lpgId === undefined) throw Errors.noGroupId();
    const rawMax = body['maxNumOfCandidatesReturned'];
    const maxCandidates = rawMax === undefined || rawMax === null ? 1 : rawMax;
    if (
      typeof maxCandidates !== 'number' ||
      !Number.isInteger(maxCandidates) ||
      maxCandidates < 1 ||
      maxCandidates > 100
    )
      throw Errors.candidatesInvalid();
    const rawThreshold = body['confidenceThreshold'];
    const threshold =
      rawThreshold === undefined || rawThreshold === null ? this.options.defaultConfidenceThreshold : rawThreshold;
    if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1)) throw Errors.thresholdInvalid();

    const kind: GroupKind = pgId !== undefined ? 'PersonGroup' : 'LargePersonGroup';
    const groupId = (pgId ?? lpgId) as string;
    if (!GROUP_ID_RULE.test(groupId)) throw Errors.identifyGroupIdInvalid(kind);
    const g = this.state.groups(kind).get(groupId);
    if (!g) throw Errors.identifyGroupNotFound(kind);
    const status = this.state.trainingStatus(g);
    if (status === 'running') throw Errors.identifyUnderTraining(kind);
    if (status !== 'succeeded' || !g.training) throw Errors.identifyNotTrained(kind);

    const now = this.options.now();
    const queries = faceIds.map((raw) => {
      if (!isGuid(raw)) throw Errors.queryFaceIdInvalid();
      const key = raw.toLowerCase();
      const d = this.state.detectedFaces.get(key);
      if (d && d.expiresAt <= now) this.state.detectedFaces.delete(key);
      if (!d || d.expiresAt <= now) throw Errors.queryFaceNotFound();
      if (d.recognitionModel !== g.recognitionModel) throw Errors.recognitionModelIncompatible();
      return { raw, fingerprint: d.fingerprint };
    });
    const model = g.training.model.filter((m) => g.persons.has(m.personId));
    return ok(
      queries.map((q) => {
        const scored = model
          .map((m) => ({
            personId: m.personId,
            confidence: Math.max(...m.fingerprints.map((f) => confidence(q.fingerprint, f))),
          }))
          .filter((c) => c.confidence >= threshold)
          .sort((a, b) => b.confidence - a.confidence);
        return { faceId: q.raw, candidates: scored.slice(0, maxCandidates) };
      }),
    );
  }
}
