import type { FaceCardFragment, FieldType, UiLibrariesQuery, UiProvidersQuery } from './generated/graphql';

export type Face = FaceCardFragment;
export type Provider = UiProvidersQuery['providers'][number];
export type Library = UiLibrariesQuery['libraries']['edges'][number]['node'];
export type FieldDefinition = Library['fieldSchema'][number];

/** What a person typed into a field input, per field name ('' for nothing). */
export type FieldTexts = Record<string, string>;

const NUMERIC: readonly FieldType[] = ['INTEGER', 'LONG', 'FLOAT', 'DOUBLE'];

/**
 * The typed JSON of the fields a person filled in (empty ones left out), or the first one that does not parse,
 * named, so the form can say which.
 */
export function fieldValues(
  schema: readonly FieldDefinition[],
  texts: FieldTexts,
): { values: Record<string, unknown> } | { invalid: string } {
  const values: Record<string, unknown> = {};
  for (const { name, type } of schema) {
    const text = (texts[name] ?? '').trim();
    if (text === '') continue;
    if (type === 'BOOLEAN') values[name] = text === 'true';
    else if (NUMERIC.includes(type)) {
      const n = Number(text);
      const whole = type === 'INTEGER' || type === 'LONG';
      if (!Number.isFinite(n) || (whole && !Number.isInteger(n)))
        return { invalid: `${name} must be ${whole ? 'a whole number' : 'a number'}` };
      values[name] = n;
    } else values[name] = text;
  }
  return { values };
}

export function fieldTexts(fields: Record<string, unknown>): FieldTexts {
  return Object.fromEntries(
    Object.entries(fields).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)]),
  );
}

/** Whether a face has every field value and the external id of a filter (the server's equality rule). */
export function matchesFilter(
  face: Face,
  filter: { fields?: Record<string, unknown>; externalImageId?: string },
): boolean {
  if (filter.externalImageId && face.externalImageId !== filter.externalImageId) return false;
  return Object.entries(filter.fields ?? {}).every(([k, v]) => face.fields[k] === v);
}

export function faceLabel(face: Face): string {
  return face.externalImageId || face.person?.name || face.person?.externalId || face.id;
}
