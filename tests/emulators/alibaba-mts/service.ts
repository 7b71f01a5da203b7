/**
 * The four face-library actions (notes §3) over the in-memory state. Input: the decoded RPC parameters.
 * Output: the response body without RequestId. Failures throw MtsError. A refused call changes nothing.
 */
import { Errors } from './errors';
import { newFaceId } from './ids';
import { countFaces } from './images';
import { idKey, type CategoryRecord, type EmulatorState, type PersonRecord } from './state';

export const MAX_ID_LENGTH = 120;
export const MAX_TEXT_LENGTH = 512;
export const DEFAULT_MAX_FACES_PER_PERSON = 10;

export interface Quirks {
  /**
   * UnregisterCustomFace on an unknown library / person / face (UNVERIFIED): 'error' (default) →
   * 400 InvalidParameter "errorMsg:... does not exist"; 'ignore' → success, nothing changes.
   */
  unknownOnUnregister: 'error' | 'ignore';
  /**
   * TagCustomPerson on an unknown library / person (UNVERIFIED): 'create' (default) creates it (a person
   * with no faces, a library with no persons); 'error' → 400 InvalidParameter "errorMsg:... does not exist".
   */
  unknownOnTag: 'create' | 'error';
}

export interface ServiceOptions {
  /** ImageUrl → bytes: images the emulator "downloads" without a network call */
  images: Map<string, Buffer>;
  /** a real download of the URL, or undefined when its origin is not one the emulator may fetch from */
  download?: (url: string) => Promise<Buffer> | undefined;
  maxFacesPerPerson: number;
  quirks: Quirks;
}

export type Params = Record<string, string>;
export type ActionBody = Record<string, unknown>;

const codePoints = (s: string): number => [...s].length;

/** A parameter's value, or undefined when absent or empty (an empty value counts as not given). */
function opt(p: Params, name: string): string | undefined {
  const v = p[name];
  return v === undefined || v === '' ? undefined : v;
}

function required(p: Params, name: string): string {
  const v = opt(p, name);
  if (v === undefined) throw Errors.missing(name);
  return v;
}

function checkId(name: string, value: string | undefined): void {
  if (value !== undefined && codePoints(value) > MAX_ID_LENGTH)
    throw Errors.invalidParameter(`${name} exceeds ${MAX_ID_LENGTH} characters`);
}

function checkText(name: string, value: string | undefined): void {
  if (value !== undefined && codePoints(value) > MAX_TEXT_LENGTH)
    throw Errors.invalidParameter(`${name} exceeds ${MAX_TEXT_LENGTH} characters`);
}

const isAll = (value: string): boolean => value.toUpperCase() === 'ALL';

export class MtsService {
  constructor(
    private readonly state: EmulatorState,
    private readonly options: ServiceOptions,
  ) {}

  async registerCustomFace(p: Params): Promise<ActionBody> {
    const categoryId = required(p, 'CategoryId');
    const personId = required(p, 'PersonId');
    const imageUrl = required(p, 'ImageUrl');
    const personName = opt(p, 'PersonName');
    checkId('CategoryId', categoryId);
    checkId('PersonId', personId);
    checkText('PersonName', personName);
    if (isAll(personId)) throw Errors.invalidParameter('PersonId "ALL" is reserved');
    if (!/^https?:\/\/[^\s/]+/i.test(imageUrl))
      throw Errors.invalidParameter('ImageUrl must be a public http or https URL');
    this.checkRoom(categoryId, personId);
    const bytes = this.options.images.get(imageUrl) ?? (await this.options.download?.(imageUrl));
    if (bytes === undefined) throw Errors.invalidParameter('download image failed, ImageUrl is not accessible');
    const faces = await countFaces(bytes);
    if (faces === 0) throw Errors.invalidParameter('no face detected');
    if (faces > 1) throw Errors.invalidParameter('more than one face');
    this.checkRoom(categoryId, personId); // again: a concurrent call may have filled the person meanwhile
    const person = this.state.ensurePerson(categoryId, personId);
    if (personName !== undefined) person.personName = personName;
    const faceId = newFaceId();
    person.faces.set(idKey(faceId), { faceId, imageUrl });
    return { FaceId: faceId };
  }

  private checkRoom(categoryId: string, personId: string): void {
    const existing = this.state.person(categoryId, personId);
    if (existing && existing.faces.size >= this.options.maxFacesPerPerson) {
      throw Errors.invalidParameter(`face count exceeds ${this.options.maxFacesPerPerson}`);
    }
  }

  unregisterCustomFace(p: Params): ActionBody {
    const categoryId = required(p, 'CategoryId');
    const personId = required(p, 'PersonId');
    const faceId = required(p, 'FaceId');
    checkId('CategoryId', categoryId);
    checkId('PersonId', personId);
    checkId('FaceId', faceId);
    const category = this.state.category(categoryId);
    if (!category) return this.unknown(`category "${categoryId}" does not exist`);
    if (isAll(personId)) {
      // every face of the library, and the library itself (FaceId is required but not looked at)
      this.state.categories.delete(idKey(categoryId));
      return {};
    }
    const person = category.persons.get(idKey(personId));
    if (!person) return this.unknown(`person "${personId}" does not exist`);
    if (isAll(faceId)) {
      // every face of the person; the person (with its name and description) goes too — UNVERIFIED
      category.persons.delete(idKey(personId));
      return {};
    }
    if (!person.faces.delete(idKey(faceId))) return this.unknown(`face "${faceId}" does not exist`);
    return {};
  }

  private unknown(text: string): ActionBody {
    if (this.options.quirks.unknownOnUnregister === 'error') throw Errors.invalidParameter(text);
    return {};
  }

  listCustomPersons(p: Params): ActionBody {
    const categoryId = opt(p, 'CategoryId');
    const personId = opt(p, 'PersonId');
    checkId('CategoryId', categoryId);
    checkId('PersonId', personId);
    const categories: CategoryRecord[] =
      categoryId === undefined
        ? [...this.state.categories.values()]
        : [this.state.category(categoryId)].filter((c): c is CategoryRecord => c !== undefined);
    const out: unknown[] = [];
    for (const category of categories) {
      const persons: PersonRecord[] =
        personId === undefined
          ? [...category.persons.values()]
          : [category.persons.get(idKey(personId))].filter((x): x is PersonRecord => x !== undefined);
      if (personId !== undefined && persons.length === 0) continue;
      out.push({
        CategoryId: category.categoryId,
        ...(category.categoryName !== undefined ? { CategoryName: category.categoryName } : {}),
        ...(category.categoryDescription !== undefined ? { CategoryDescription: category.categoryDescription } : {}),
        Persons: {
          Person: persons.map((person) => ({
            PersonId: person.personId,
            ...(person.personName !== undefined ? { PersonName: person.personName } : {}),
            ...(person.personDescription !== undefined ? { PersonDescription: person.personDescription } : {}),
            Faces: { Face: [...person.faces.values()].map((f) => ({ FaceId: f.faceId, ImageUrl: f.imageUrl })) },
          })),
        },
      });
    }
    return { Categories: { Category: out } };
  }

  tagCustomPerson(p: Params): ActionBody {
    const categoryId = opt(p, 'CategoryId');
    const categoryName = opt(p, 'CategoryName');
    const categoryDescription = opt(p, 'CategoryDescription');
    const personId = opt(p, 'PersonId');
    const personName = opt(p, 'PersonName');
    const personDescription = opt(p, 'PersonDescription');
    checkId('CategoryId', categoryId);
    checkId('PersonId', personId);
    checkText('CategoryName', categoryName);
    checkText('CategoryDescription', categoryDescription);
    checkText('PersonName', personName);
    checkText('PersonDescription', personDescription);
    if (categoryId === undefined && personId === undefined)
      throw Errors.invalidParameter('CategoryId or PersonId is required');
    if (categoryId === undefined && (categoryName !== undefined || categoryDescription !== undefined)) {
      throw Errors.invalidParameter('CategoryId is required to set CategoryName or CategoryDescription');
    }
    if (personId === undefined && (personName !== undefined || personDescription !== undefined)) {
      throw Errors.invalidParameter('PersonId is required to set PersonName or PersonDescription');
    }
    if (personId !== undefined && isAll(personId)) throw Errors.invalidParameter('PersonId "ALL" is reserved');
    const create = this.options.quirks.unknownOnTag === 'create';

    // resolve everything first: a refused call changes nothing
    let category: CategoryRecord | undefined;
    let newCategoryId: string | undefined;
    if (categoryId !== undefined) {
      category = this.state.category(categoryId);
      if (!category) {
        if (!create) throw Errors.invalidParameter(`category "${categoryId}" does not exist`);
        newCategoryId = categoryId;
      }
    }
    let person: PersonRecord | undefined;
    let personHome: string | undefined; // CategoryId the person lives in (or will be created in)
    if (personId !== undefined) {
      if (categoryId !== undefined) {
        person = category?.persons.get(idKey(personId));
        personHome = categoryId;
        if (!person && !create) throw Errors.invalidParameter(`person "${personId}" does not exist`);
      } else {
        // no CategoryId: the person must exist in exactly one library (UNVERIFIED how the real service resolves it)
        const homes = [...this.state.categories.values()].filter((c) => c.persons.has(idKey(personId)));
        if (homes.length === 0) throw Errors.invalidParameter(`person "${personId}" does not exist`);
        if (homes.length > 1)
          throw Errors.invalidParameter(`person "${personId}" exists in several categories, CategoryId is required`);
        const home = homes[0] as CategoryRecord;
        person = home.persons.get(idKey(personId));
        personHome = home.categoryId;
      }
    }

    if (newCategoryId !== undefined) category = this.state.ensureCategory(newCategoryId);
    if (category) {
      if (categoryName !== undefined) category.categoryName = categoryName;
      if (categoryDescription !== undefined) category.categoryDescription = categoryDescription;
    }
    if (personId !== undefined) {
      person ??= this.state.ensurePerson(personHome as string, personId);
      if (personName !== undefined) person.personName = personName;
      if (personDescription !== undefined) person.personDescription = personDescription;
    }
    return {};
  }
}
