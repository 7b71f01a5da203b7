/**
 * In-memory state of the emulated account: custom face libraries (categories) → persons → faces.
 * CategoryId, PersonId and FaceId are case-insensitive (notes §0.2, §4): every map is keyed by
 * `id.toLowerCase()` and keeps the first-seen spelling, which is what ListCustomPersons echoes.
 */
import { newFaceId } from './ids';

export interface FaceRecord {
  faceId: string;
  imageUrl: string;
}

export interface PersonRecord {
  personId: string;
  personName?: string;
  personDescription?: string;
  /** by lower-cased FaceId, in registration order */
  faces: Map<string, FaceRecord>;
}

export interface CategoryRecord {
  categoryId: string;
  categoryName?: string;
  categoryDescription?: string;
  /** by lower-cased PersonId, in creation order */
  persons: Map<string, PersonRecord>;
}

export const idKey = (id: string): string => id.toLowerCase();

export class EmulatorState {
  /** categories by lower-cased CategoryId, in creation order (mutable: tests may inspect or seed directly). */
  readonly categories = new Map<string, CategoryRecord>();

  category(categoryId: string): CategoryRecord | undefined {
    return this.categories.get(idKey(categoryId));
  }

  person(categoryId: string, personId: string): PersonRecord | undefined {
    return this.category(categoryId)?.persons.get(idKey(personId));
  }

  /** The faces of a person (empty when unknown). */
  faces(categoryId: string, personId: string): FaceRecord[] {
    return [...(this.person(categoryId, personId)?.faces.values() ?? [])];
  }

  ensureCategory(categoryId: string): CategoryRecord {
    const key = idKey(categoryId);
    let category = this.categories.get(key);
    if (!category) {
      category = { categoryId, persons: new Map() };
      this.categories.set(key, category);
    }
    return category;
  }

  ensurePerson(categoryId: string, personId: string): PersonRecord {
    const category = this.ensureCategory(categoryId);
    const key = idKey(personId);
    let person = category.persons.get(key);
    if (!person) {
      person = { personId, faces: new Map() };
      category.persons.set(key, person);
    }
    return person;
  }

  /**
   * Registers one face without going through the API (no image check, no limit): e.g. a face "registered
   * outside the gateway". Creates the library and the person when needed; `personName` sets the name.
   */
  register(categoryId: string, personId: string, imageUrl: string, personName?: string): FaceRecord {
    const person = this.ensurePerson(categoryId, personId);
    if (personName !== undefined) person.personName = personName;
    const face = { faceId: newFaceId(), imageUrl };
    person.faces.set(idKey(face.faceId), face);
    return face;
  }

  /** Adds faces without going through the API (e.g. to fill a person up to the 10-face limit). */
  seedFaces(
    categoryId: string,
    personId: string,
    count: number,
    imageUrl = 'https://seed.example/face.jpg',
  ): FaceRecord[] {
    const person = this.ensurePerson(categoryId, personId);
    const made: FaceRecord[] = [];
    for (let i = 0; i < count; i++) {
      const face = { faceId: newFaceId(), imageUrl };
      person.faces.set(idKey(face.faceId), face);
      made.push(face);
    }
    return made;
  }

  reset(): void {
    this.categories.clear();
  }
}
