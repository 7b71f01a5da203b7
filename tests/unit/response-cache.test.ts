import { ResponseCache } from '../../src/server/response-cache';

const answer = (n: number, pad = 0) => ({ data: { n, pad: 'x'.repeat(pad) } });

describe('ResponseCache', () => {
  it('answers a stored key under the same version only', () => {
    const cache = new ResponseCache(10_000);
    expect(cache.get('q1', 'v1')).toBeUndefined();
    cache.set('q1', 'v1', answer(1));
    expect(cache.get('q1', 'v1')).toEqual(answer(1));
    expect(cache.get('q2', 'v1')).toBeUndefined();
  });

  it('empties itself when the version moves, and never comes back to older answers', () => {
    const cache = new ResponseCache(10_000);
    cache.get('q1', 'v1');
    cache.set('q1', 'v1', answer(1));
    expect(cache.get('q1', 'v2')).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.get('q1', 'v1')).toBeUndefined();
  });

  it('drops an answer computed under a version the cache has already left', () => {
    const cache = new ResponseCache(10_000);
    cache.get('q1', 'v1'); // a request starts at v1 ...
    cache.get('q2', 'v2'); // ... a write happens and another request sees v2 ...
    cache.set('q1', 'v1', answer(1)); // ... the first one's answer may predate the write
    expect(cache.size).toBe(0);
    expect(cache.get('q1', 'v2')).toBeUndefined();
  });

  it('stays within its byte budget, evicting the least recently used answer', () => {
    const cache = new ResponseCache(720); // each answer below is 176 bytes with its key: four fit
    cache.get('a', 'v');
    for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) cache.set(key, 'v', answer(i, 150));
    expect(cache.size).toBe(4);
    expect(cache.get('a', 'v')).toEqual(answer(0, 150)); // a is now the most recently used
    cache.set('e', 'v', answer(4, 150));
    expect(cache.bytes).toBeLessThanOrEqual(720);
    expect(cache.size).toBe(4);
    expect(cache.get('b', 'v')).toBeUndefined();
    expect(cache.get('a', 'v')).toEqual(answer(0, 150));
    expect(cache.get('e', 'v')).toEqual(answer(4, 150));
  });

  it('does not keep an answer larger than a quarter of its budget', () => {
    const cache = new ResponseCache(1_000);
    cache.get('big', 'v');
    cache.set('big', 'v', answer(1, 300));
    expect(cache.get('big', 'v')).toBeUndefined();
    expect(cache.bytes).toBe(0);
  });

  it('replaces an answer stored again under the same key without counting it twice', () => {
    const cache = new ResponseCache(10_000);
    cache.get('a', 'v');
    cache.set('a', 'v', answer(1, 100));
    const once = cache.bytes;
    cache.set('a', 'v', answer(2, 100));
    expect(cache.bytes).toBe(once);
    expect(cache.get('a', 'v')).toEqual(answer(2, 100));
  });
});
