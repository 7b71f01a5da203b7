import { FaceGraphError } from '../../src/domain/errors';
import {
  decodeGlobalId,
  encodeGlobalId,
  faceId,
  libraryId,
  personId,
  tryDecodeGlobalId,
} from '../../src/domain/global-id';

describe('global IDs', () => {
  test('round-trip every type with coordinates that need escaping', () => {
    const ids = [
      { type: 'Library' as const, providerId: 'hw-1', library: 'staff_2024' },
      { type: 'Person' as const, providerId: 'az', library: 'group-a', person: '5f1c…/ünïcode?&=' },
      { type: 'Face' as const, providerId: 'ali', library: 'Cat:With"Quotes"', face: 'Pex/Opq+Rj==' },
    ];
    for (const id of ids) {
      const encoded = encodeGlobalId(id);
      expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(tryDecodeGlobalId(encoded)).toEqual(id);
    }
  });

  test('are stable: the same coordinates always give the same id, and different types differ', () => {
    expect(libraryId('local', 'staff')).toBe(libraryId('local', 'staff'));
    expect(libraryId('local', 'staff')).toBe('WzEsIkwiLCJsb2NhbCIsInN0YWZmIl0');
    expect(personId('local', 'staff', 'x')).not.toBe(faceId('local', 'staff', 'x'));
  });

  test.each([
    ['empty', ''],
    ['not base64url', 'abc+/='],
    ['not JSON', Buffer.from('hello').toString('base64url')],
    ['wrong version', Buffer.from(JSON.stringify([2, 'L', 'local', 'staff'])).toString('base64url')],
    ['unknown type tag', Buffer.from(JSON.stringify([1, 'X', 'local', 'staff'])).toString('base64url')],
    ['too few coordinates', Buffer.from(JSON.stringify([1, 'F', 'local', 'staff'])).toString('base64url')],
    ['too many coordinates', Buffer.from(JSON.stringify([1, 'L', 'local', 'staff', 'x'])).toString('base64url')],
    ['an empty coordinate', Buffer.from(JSON.stringify([1, 'L', 'local', ''])).toString('base64url')],
    ['a number as coordinate', Buffer.from(JSON.stringify([1, 'L', 'local', 7])).toString('base64url')],
    ['a non-canonical spelling', Buffer.from('[1, "L", "local", "staff"]').toString('base64url')],
    ['too long', 'A'.repeat(5000)],
  ])('reject %s', (_case, raw) => {
    expect(tryDecodeGlobalId(raw)).toBeNull();
  });

  test('decodeGlobalId names the field and the expected type in its InvalidInputError', () => {
    const wrongType = personId('local', 'staff', 'p1');
    for (const [raw, constraint] of [
      ['%%%', 'GLOBAL_ID'],
      [wrongType, 'GLOBAL_ID_TYPE'],
    ] as const) {
      try {
        decodeGlobalId(raw, 'Library', 'input.libraryId');
        throw new Error('expected an error');
      } catch (e) {
        expect(e).toBeInstanceOf(FaceGraphError);
        expect((e as FaceGraphError).detail).toMatchObject({
          type: 'InvalidInputError',
          field: 'input.libraryId',
          constraint,
        });
        expect((e as FaceGraphError).message).toMatch(/Library/);
      }
    }
    expect(decodeGlobalId(libraryId('local', 'staff'), 'Library', 'id')).toEqual({
      type: 'Library',
      providerId: 'local',
      library: 'staff',
    });
  });
});
