import { multipartBody } from '../../src/server/ui/client/api/multipart';
import { fieldValues, matchesFilter, type Face } from '../../src/server/ui/client/model';

// The library browser's pure pieces: what a person types into typed field inputs, the live filter check, and the
// body of a multipart upload (the GraphQL multipart request spec).

const schema = [
  { name: 'dept', type: 'STRING' as const },
  { name: 'level', type: 'INTEGER' as const },
  { name: 'score', type: 'DOUBLE' as const },
  { name: 'active', type: 'BOOLEAN' as const },
];

describe('fieldValues', () => {
  it('types what was typed by the field type, and leaves empty inputs out', () => {
    expect(fieldValues(schema, { dept: ' sales ', level: '3', score: '0.5', active: 'false' })).toEqual({
      values: { dept: 'sales', level: 3, score: 0.5, active: false },
    });
    expect(fieldValues(schema, { dept: '', level: '  ' })).toEqual({ values: {} });
  });

  it('names the field whose text is not a number of its type', () => {
    expect(fieldValues(schema, { level: '3.5' })).toEqual({ invalid: 'level must be a whole number' });
    expect(fieldValues(schema, { score: 'high' })).toEqual({ invalid: 'score must be a number' });
  });
});

describe('matchesFilter', () => {
  const face = { id: 'f', externalImageId: 'a-1', fields: { dept: 'sales', level: 3 } } as unknown as Face;
  it('holds when every field and the external id are equal', () => {
    expect(matchesFilter(face, {})).toBe(true);
    expect(matchesFilter(face, { fields: { dept: 'sales', level: 3 }, externalImageId: 'a-1' })).toBe(true);
    expect(matchesFilter(face, { fields: { level: '3' } })).toBe(false);
    expect(matchesFilter(face, { externalImageId: 'a-2' })).toBe(false);
  });
});

describe('multipartBody', () => {
  it('sends the operation with null where each file goes, the map, then the files', async () => {
    const file = new File([Buffer.from('jpeg bytes')], 'alice.jpg', { type: 'image/jpeg' });
    const variables = { input: { libraryId: 'L', image: { upload: file }, fields: { dept: 'x' } } };
    const form = multipartBody('mutation M { x }', variables);
    expect([...form.keys()]).toEqual(['operations', 'map', '0']);
    expect(JSON.parse(form.get('operations') as string)).toEqual({
      query: 'mutation M { x }',
      variables: { input: { libraryId: 'L', image: { upload: null }, fields: { dept: 'x' } } },
    });
    expect(JSON.parse(form.get('map') as string)).toEqual({ 0: ['variables.input.image.upload'] });
    const sent = form.get('0') as File;
    expect(sent.name).toBe('alice.jpg');
    expect(Buffer.from(await sent.arrayBuffer()).toString()).toBe('jpeg bytes');
  });
});
