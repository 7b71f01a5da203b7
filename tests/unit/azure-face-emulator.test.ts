/**
 * Drives the Azure AI Face v1.0 person-group emulator (tests/emulators/azure-face) over raw HTTP.
 * Expected codes and messages come from docs/vendors/azure-face.md (§2, §3–§6, §9, §10).
 */
import sharp from 'sharp';
import {
  ACCESS_DENIED_MESSAGE,
  LIMITED_ACCESS_BODY,
  QUOTA_BODY,
  startAzureFaceEmulator,
  type AzureFaceEmulator,
} from '../emulators/azure-face';
import { bmp, face, groupPhoto, noFace, pattern } from '../support/convention-images';
import { rawRequest, type Reply } from '../support/raw-http';

const KEY = 'test-subscription-key-1';
const KEY2 = 'test-subscription-key-2';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

// ------------------------------------------------------------------------------------------------
// raw HTTP

interface CallOptions {
  json?: unknown;
  raw?: Buffer | string;
  contentType?: string | null;
  /** null = no subscription-key header */
  key?: string | null;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

function call(
  emulator: AzureFaceEmulator,
  method: string,
  pathAndQuery: string,
  options: CallOptions = {},
): Promise<Reply> {
  const body = options.raw ?? (options.json !== undefined ? JSON.stringify(options.json) : undefined);
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? KEY : options.key;
  if (key !== null) headers['Ocp-Apim-Subscription-Key'] = key;
  const contentType =
    options.contentType === undefined
      ? options.json !== undefined
        ? 'application/json'
        : undefined
      : options.contentType;
  if (contentType) headers['Content-Type'] = contentType;
  return rawRequest(emulator.endpoint, method, pathAndQuery, headers, body, options.timeoutMs);
}

const api = (emulator: AzureFaceEmulator, method: string, p: string, options?: CallOptions) =>
  call(emulator, method, `/face/v1.0${p}`, options);

function expectError(reply: Reply, status: number, code: string, message?: string | RegExp): void {
  expect({ status: reply.status, code: reply.json?.error?.code }).toEqual({ status, code });
  if (typeof message === 'string') expect(reply.json.error.message).toBe(message);
  else if (message) expect(reply.json.error.message).toMatch(message);
  expect(reply.headers['apim-request-id']).toMatch(GUID);
}

function expectEmpty(reply: Reply, status = 200): void {
  expect(reply.status).toBe(status);
  expect(reply.text).toBe('');
}

// ------------------------------------------------------------------------------------------------
// images (see the README: tiles, black corner = no face, central 50% box)

const raw = (rgb: Buffer, width: number, height: number) => sharp(rgb, { raw: { width, height, channels: 3 } });

// ------------------------------------------------------------------------------------------------

let emu: AzureFaceEmulator;

beforeAll(async () => {
  emu = await startAzureFaceEmulator({ subscriptionKeys: [KEY, KEY2], trainingMs: 1000 });
});

afterAll(async () => {
  await emu.close();
});

beforeEach(() => {
  emu.state.reset();
  emu.faults.clear();
  emu.images.clear();
});

type Kind = 'PersonGroup' | 'LargePersonGroup';
const KINDS: { kind: Kind; base: string; idField: string; prefix: string; noun: string }[] = [
  { kind: 'PersonGroup', base: '/persongroups', idField: 'personGroupId', prefix: 'PersonGroup', noun: 'Person group' },
  {
    kind: 'LargePersonGroup',
    base: '/largepersongroups',
    idField: 'largePersonGroupId',
    prefix: 'LargePersonGroup',
    noun: 'Large person group',
  },
];

async function createGroup(base: string, id: string, body: Record<string, unknown> = { name: id }): Promise<void> {
  expectEmpty(await api(emu, 'PUT', `${base}/${id}`, { json: body }));
}

async function createPerson(base: string, groupId: string, name = 'Ann', userData?: string): Promise<string> {
  const r = await api(emu, 'POST', `${base}/${groupId}/persons`, {
    json: userData === undefined ? { name } : { name, userData },
  });
  expect(r.status).toBe(200);
  expect(Object.keys(r.json)).toEqual(['personId']);
  expect(r.json.personId).toMatch(GUID);
  return r.json.personId as string;
}

async function addFace(base: string, groupId: string, personId: string, image: Buffer, query = ''): Promise<Reply> {
  return api(emu, 'POST', `${base}/${groupId}/persons/${personId}/persistedfaces${query}`, {
    raw: image,
    contentType: 'application/octet-stream',
  });
}

async function detect(image: Buffer, query = ''): Promise<Reply> {
  return api(emu, 'POST', `/detect${query}`, { raw: image, contentType: 'application/octet-stream' });
}

/** Lets a running training finish without sleeping. */
const finishTraining = () => emu.clock.advance(1001);

// ================================================================================================

describe('authentication, headers and routing', () => {
  it('a wrong or missing Ocp-Apim-Subscription-Key → 401 with the documented body', async () => {
    for (const key of ['wrong-key', null, '']) {
      const r = await api(emu, 'GET', '/persongroups', { key });
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ error: { code: '401', message: ACCESS_DENIED_MESSAGE } });
      expect(r.json.error.message).toBe(
        'Access denied due to invalid subscription key or wrong API endpoint. ' +
          'Make sure to provide a valid key for an active subscription ' +
          'and use a correct regional API endpoint for your resource.',
      );
      expect(r.headers['apim-request-id']).toMatch(GUID);
    }
    expect(emu.requests.at(-1)).toMatchObject({
      operation: 'listGroups',
      authenticated: false,
      status: 401,
      errorCode: '401',
    });
    // a Bearer token is not accepted by the emulator
    expect((await api(emu, 'GET', '/persongroups', { key: null, headers: { Authorization: 'Bearer x' } })).status).toBe(
      401,
    );
    // every configured key works
    expect((await api(emu, 'GET', '/persongroups', { key: KEY2 })).status).toBe(200);
  });

  it('every answer carries a fresh apim-request-id; unknown routes → 404 "Resource not found"', async () => {
    const a = await api(emu, 'GET', '/persongroups');
    const b = await api(emu, 'GET', '/persongroups');
    expect(a.headers['apim-request-id']).toMatch(GUID);
    expect(a.headers['apim-request-id']).not.toBe(b.headers['apim-request-id']);
    expect(a.headers['content-type']).toMatch(/^application\/json/);
    expect(emu.requests.at(-1)?.requestId).toBe(b.headers['apim-request-id']);
    expectError(await api(emu, 'GET', '/facelists'), 404, '404', 'Resource not found');
    expectError(await api(emu, 'POST', '/persongroups/g1'), 404, '404');
    expectError(await call(emu, 'GET', '/face/v1.2/persongroups'), 404, '404');
    expectError(await api(emu, 'GET', '/detect'), 404, '404');
    expect(emu.requests.at(-1)?.operation).toBe('unknown');
    // a wrong key is refused before routing
    expect((await api(emu, 'GET', '/facelists', { key: 'nope' })).status).toBe(401);
  });

  it('path literals are case-insensitive (persistedFaces) and one trailing "/" is tolerated', async () => {
    await createGroup('/persongroups', 'g1');
    const pid = await createPerson('/persongroups', 'g1');
    const r = await api(emu, 'POST', `/PersonGroups/g1/persons/${pid}/persistedFaces`, {
      raw: await face(1),
      contentType: 'application/octet-stream',
    });
    expect(r.status).toBe(200);
    expect((await api(emu, 'GET', '/persongroups/g1/')).status).toBe(200);
  });
});

describe.each(KINDS)('$kind groups', ({ kind, base, idField, prefix, noun }) => {
  it('create (200, empty) / get / list / update / delete with the documented shapes', async () => {
    const created = await api(emu, 'PUT', `${base}/grp-1`, {
      json: { name: 'Group one', userData: 'ud', recognitionModel: 'recognition_04' },
    });
    expectEmpty(created);
    expect(created.headers['apim-request-id']).toMatch(GUID);
    const got = await api(emu, 'GET', `${base}/grp-1`);
    expect(got.status).toBe(200);
    expect(got.json).toEqual({ [idField]: 'grp-1', name: 'Group one', userData: 'ud' });
    const withModel = await api(emu, 'GET', `${base}/grp-1?returnRecognitionModel=true`);
    expect(withModel.json).toEqual({
      [idField]: 'grp-1',
      name: 'Group one',
      userData: 'ud',
      recognitionModel: 'recognition_04',
    });

    await createGroup(base, 'grp_0', { name: 'zero' }); // default model, no userData
    const list = await api(emu, 'GET', `${base}?returnRecognitionModel=true`);
    expect(list.json).toEqual([
      { [idField]: 'grp-1', name: 'Group one', userData: 'ud', recognitionModel: 'recognition_04' },
      { [idField]: 'grp_0', name: 'zero', recognitionModel: 'recognition_01' },
    ]);

    expectEmpty(await api(emu, 'PATCH', `${base}/grp-1`, { json: { userData: 'new' } }));
    expect((await api(emu, 'GET', `${base}/grp-1`)).json).toEqual({
      [idField]: 'grp-1',
      name: 'Group one',
      userData: 'new',
    });
    expectEmpty(await api(emu, 'PATCH', `${base}/grp-1`, { json: { name: 'renamed' } }));
    const view = emu.state.group(kind, 'grp-1');
    expect(view).toMatchObject({
      name: 'renamed',
      userData: 'new',
      recognitionModel: 'recognition_04',
      trainingStatus: 'notstarted',
    });
    await api(emu, 'PATCH', `${base}/grp-1`, { json: { name: 'live' } });
    expect(view?.name).toBe('live'); // the view is live

    expectEmpty(await api(emu, 'DELETE', `${base}/grp-1`));
    expectError(await api(emu, 'GET', `${base}/grp-1`), 404, `${prefix}NotFound`, `${noun} is not found.`);
    expect(emu.state.group(kind, 'grp-1')).toBeUndefined();
    // the other kind's namespace is separate
    const other = kind === 'PersonGroup' ? '/largepersongroups' : '/persongroups';
    expect((await api(emu, 'GET', `${other}/grp_0`)).status).toBe(404);
  });

  it('409 …Exists on a second PUT; 404 …NotFound / "ID is invalid." on unknown or malformed ids', async () => {
    await createGroup(base, 'g1');
    expectError(
      await api(emu, 'PUT', `${base}/g1`, { json: { name: 'again' } }),
      409,
      `${prefix}Exists`,
      `${noun} already exists.`,
    );
    for (const op of ['GET', 'DELETE'] as const) {
      expectError(await api(emu, op, `${base}/nope`), 404, `${prefix}NotFound`, `${noun} is not found.`);
      expectError(await api(emu, op, `${base}/Bad.Id`), 404, `${prefix}NotFound`, `${noun} ID is invalid.`);
    }
    expectError(await api(emu, 'PATCH', `${base}/nope`, { json: { name: 'x' } }), 404, `${prefix}NotFound`);
    expectError(await api(emu, 'POST', `${base}/nope/train`), 404, `${prefix}NotFound`);
    expectError(await api(emu, 'GET', `${base}/nope/training`), 404, `${prefix}NotFound`);
    expectError(await api(emu, 'POST', `${base}/nope/persons`, { json: { name: 'x' } }), 404, `${prefix}NotFound`);
    expectError(await api(emu, 'GET', `${base}/nope/persons`), 404, `${prefix}NotFound`);
  });

  it('create validation: id rule, name, userData, recognitionModel, JSON and media type', async () => {
    for (const bad of ['UPPER', 'has.dot', 'a'.repeat(65), 'sp%20ace']) {
      expectError(
        await api(emu, 'PUT', `${base}/${bad}`, { json: { name: 'x' } }),
        400,
        'BadArgument',
        `${noun} ID is invalid.`,
      );
    }
    await createGroup(base, 'a'.repeat(64)); // 64 is the maximum
    await createGroup(base, 'a-_0'); // '-', '_' and digits are allowed
    const put = (body: unknown, options: CallOptions = {}) => api(emu, 'PUT', `${base}/g2`, { json: body, ...options });
    expectError(await put({}), 400, 'BadArgument', "'name' is empty.");
    expectError(await put({ name: '' }), 400, 'BadArgument', "'name' is empty.");
    expectError(await put({ name: 'n'.repeat(129) }), 400, 'BadArgument', "'name' is too long.");
    expectError(await put({ name: 'x', userData: 'u'.repeat(16385) }), 400, 'BadArgument', "'userData' is too long.");
    expectError(
      await put({ name: 'x', recognitionModel: 'recognition_05' }),
      400,
      'BadArgument',
      "'recognitionModel' is invalid.",
    );
    expectError(await put({ name: 42 }), 400, 'BadArgument', 'Request body is invalid.');
    expectError(
      await put(undefined, { raw: '{"name":', contentType: 'application/json' }),
      400,
      'BadArgument',
      'JSON parsing error.',
    );
    expectError(
      await put(undefined, { raw: '[1]', contentType: 'application/json' }),
      400,
      'BadArgument',
      'Request body is invalid.',
    );
    expectError(
      await put(undefined, { raw: '', contentType: 'application/json' }),
      400,
      'BadArgument',
      'Request body is invalid.',
    );
    expectError(
      await put(undefined, { raw: '{"name":"x"}', contentType: 'text/plain' }),
      415,
      'BadArgument',
      'Invalid Media Type.',
    );
    expect(emu.state.group(kind, 'g2')).toBeUndefined();
    await createGroup(base, 'g2', { name: 'n'.repeat(128), userData: 'u'.repeat(16384) }); // exact limits pass
    // charset parameter on the media type is fine (the old SDK sends it)
    expectEmpty(
      await api(emu, 'PUT', `${base}/g3`, { raw: '{"name":"x"}', contentType: 'application/json; charset=utf-8' }),
    );
  });

  it('update validation (PATCH)', async () => {
    await createGroup(base, 'g1');
    const patch = (body: unknown) => api(emu, 'PATCH', `${base}/g1`, { json: body });
    expectError(await patch({ name: '' }), 400, 'BadArgument', "'name' is empty.");
    expectError(await patch({ name: 'n'.repeat(129) }), 400, 'BadArgument', "'name' is too long.");
    expectError(await patch({ userData: 'u'.repeat(16385) }), 400, 'BadArgument', "'userData' is too long.");
    if (kind === 'LargePersonGroup')
      expectError(await patch({}), 400, 'BadArgument', "Both 'name' and 'userData' are empty.");
    else expectEmpty(await patch({}));
  });
});

describe('paging (start exclusive, top 1..1000, sorted by id)', () => {
  it('groups: the documented group1..group5 example, and the limits of start/top', async () => {
    for (const id of ['group3', 'group1', 'group5', 'group2', 'group4']) await createGroup('/persongroups', id);
    const ids = async (q: string) =>
      ((await api(emu, 'GET', `/persongroups${q}`)).json as { personGroupId: string }[]).map((g) => g.personGroupId);
    expect(await ids('?start=&top=')).toEqual(['group1', 'group2', 'group3', 'group4', 'group5']);
    expect(await ids('?start=&top=2')).toEqual(['group1', 'group2']);
    expect(await ids('?start=group2&top=3')).toEqual(['group3', 'group4', 'group5']);
    expect(await ids('?start=group5')).toEqual([]);
    expect(await ids('?top=1000')).toHaveLength(5);
    expectError(
      await api(emu, 'GET', `/persongroups?start=${'s'.repeat(65)}`),
      400,
      'BadArgument',
      "'start' is too long.",
    );
    for (const top of ['0', '1001', 'abc', '-1', '1.5']) {
      expectError(await api(emu, 'GET', `/persongroups?top=${top}`), 400, 'BadArgument', "'top' is invalid.");
    }
    // large person groups page the same way
    for (const id of ['b', 'a', 'c']) await createGroup('/largepersongroups', id);
    const lpg = await api(emu, 'GET', '/largepersongroups?start=a&top=1');
    expect(lpg.json).toEqual([{ largePersonGroupId: 'b', name: 'b' }]);
  });

  it.each(KINDS)('$kind persons: sorted by personId, start = last id of the previous page', async ({ base }) => {
    await createGroup(base, 'g1');
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push(await createPerson(base, 'g1', `p${i}`));
    const sorted = [...made].sort();
    const pages: string[][] = [];
    let start = '';
    for (;;) {
      const r = await api(emu, 'GET', `${base}/g1/persons?start=${start}&top=3`);
      expect(r.status).toBe(200);
      const ids = (r.json as { personId: string }[]).map((p) => p.personId);
      if (ids.length === 0) break;
      pages.push(ids);
      start = ids[ids.length - 1] as string;
    }
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(sorted);
    expect((await api(emu, 'GET', `${base}/g1/persons`)).json).toHaveLength(7);
    expectError(await api(emu, 'GET', `${base}/g1/persons?top=1001`), 400, 'BadArgument', "'top' is invalid.");
    expectError(await api(emu, 'GET', `${base}/g1/persons?top=0`), 400, 'BadArgument', "'top' is invalid.");
    // the person list has no 64-character limit on start
    expect((await api(emu, 'GET', `${base}/g1/persons?start=${'f'.repeat(80)}`)).json).toEqual([]);
  });
});

describe.each(KINDS)('$kind persons', ({ kind, base, prefix }) => {
  beforeEach(async () => {
    await createGroup(base, 'g1');
  });

  it('create → {personId}; get / list / update / delete', async () => {
    const pid = await createPerson(base, 'g1', 'Ann', 'ud');
    const bare = await createPerson(base, 'g1', 'Bob');
    const got = await api(emu, 'GET', `${base}/g1/persons/${pid}`);
    expect(got.json).toEqual({ personId: pid, name: 'Ann', userData: 'ud', persistedFaceIds: [] });
    expect((await api(emu, 'GET', `${base}/g1/persons/${bare}`)).json).toEqual({
      personId: bare,
      name: 'Bob',
      persistedFaceIds: [],
    });
    // GUIDs compare case-insensitively
    expect((await api(emu, 'GET', `${base}/g1/persons/${pid.toUpperCase()}`)).status).toBe(200);

    const f1 = (await addFace(base, 'g1', pid, await face(1))).json.persistedFaceId;
    const f2 = (await addFace(base, 'g1', pid, await face(2))).json.persistedFaceId;
    expect((await api(emu, 'GET', `${base}/g1/persons/${pid}`)).json.persistedFaceIds).toEqual([f1, f2]);

    expectEmpty(await api(emu, 'PATCH', `${base}/g1/persons/${pid}`, { json: { name: 'Anna', userData: 'x' } }));
    expect((await api(emu, 'GET', `${base}/g1/persons/${pid}`)).json).toMatchObject({ name: 'Anna', userData: 'x' });
    const list = await api(emu, 'GET', `${base}/g1/persons`);
    expect(list.json).toHaveLength(2);
    expect(list.json.find((p: { personId: string }) => p.personId === pid)).toEqual({
      personId: pid,
      name: 'Anna',
      userData: 'x',
      persistedFaceIds: [f1, f2],
    });

    expectEmpty(await api(emu, 'DELETE', `${base}/g1/persons/${pid}`));
    expectError(
      await api(emu, 'GET', `${base}/g1/persons/${pid}`),
      404,
      'PersonNotFound',
      `Person ${pid} is not found.`,
    );
    expect(emu.state.group(kind, 'g1')?.persons.size).toBe(1);
  });

  it('validation and not-found errors', async () => {
    const post = (body: unknown) => api(emu, 'POST', `${base}/g1/persons`, { json: body });
    expectError(await post({}), 400, 'BadArgument', "'name' is empty.");
    expectError(await post({ name: '' }), 400, 'BadArgument', "'name' is empty.");
    expectError(await post({ name: 'n'.repeat(129) }), 400, 'BadArgument', "'name' is too long.");
    expectError(await post({ name: 'x', userData: 'u'.repeat(16385) }), 400, 'BadArgument', "'userData' is too long.");
    const pid = await createPerson(base, 'g1', 'n'.repeat(128), 'u'.repeat(16384));
    const patch = (body: unknown) => api(emu, 'PATCH', `${base}/g1/persons/${pid}`, { json: body });
    expectError(await patch({ name: '' }), 400, 'BadArgument', "'name' is empty.");
    expectError(await patch({ userData: 'u'.repeat(16385) }), 400, 'BadArgument', "'userData' is too long.");
    if (kind === 'LargePersonGroup')
      expectError(await patch({}), 400, 'BadArgument', "Both 'name' and 'userData' are empty.");
    else expectEmpty(await patch({}));

    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const method of ['GET', 'DELETE'] as const) {
      expectError(
        await api(emu, method, `${base}/g1/persons/${unknown}`),
        404,
        'PersonNotFound',
        `Person ${unknown} is not found.`,
      );
      expectError(
        await api(emu, method, `${base}/g1/persons/not-a-guid`),
        404,
        'PersonNotFound',
        'Person ID is invalid.',
      );
    }
    expectError(
      await api(emu, 'PATCH', `${base}/g1/persons/${unknown}`, { json: { name: 'x' } }),
      404,
      'PersonNotFound',
    );
    expectError(await api(emu, 'GET', `${base}/zz/persons/${pid}`), 404, `${prefix}NotFound`);
  });
});

describe('tier quotas', () => {
  it('F0: 1,000 persons per group and 1,000 across all person groups; 248 faces per person', async () => {
    const f0 = await startAzureFaceEmulator({ subscriptionKeys: [KEY], tier: 'F0' });
    try {
      const post = (p: string) => api(f0, 'POST', p, { json: { name: 'x' } });
      expectEmpty(await api(f0, 'PUT', '/persongroups/g1', { json: { name: 'g' } }));
      expectEmpty(await api(f0, 'PUT', '/persongroups/g2', { json: { name: 'g' } }));
      f0.state.seedPersons('PersonGroup', 'g1', 999);
      expect((await post('/persongroups/g1/persons')).status).toBe(200);
      expectError(
        await post('/persongroups/g1/persons'),
        403,
        'QuotaExceeded',
        'Person number reached person group level limit.',
      );
      expectError(
        await post('/persongroups/g2/persons'),
        403,
        'QuotaExceeded',
        'Person number reached subscription level limit.',
      );

      expectEmpty(await api(f0, 'PUT', '/largepersongroups/l1', { json: { name: 'g' } }));
      f0.state.seedPersons('LargePersonGroup', 'l1', 1000);
      expectError(
        await post('/largepersongroups/l1/persons'),
        403,
        'QuotaExceeded',
        'Person number reached large person group level limit.',
      );

      const pid = [...(f0.state.group('PersonGroup', 'g1')?.persons.keys() ?? [])][0] as string;
      f0.state.seedFaces('PersonGroup', 'g1', pid, 247);
      const bytes = await face(1);
      const ok = await api(f0, 'POST', `/persongroups/g1/persons/${pid}/persistedfaces`, {
        raw: bytes,
        contentType: 'application/octet-stream',
      });
      expect(ok.status).toBe(200);
      const full = await api(f0, 'POST', `/persongroups/g1/persons/${pid}/persistedfaces`, {
        raw: bytes,
        contentType: 'application/octet-stream',
      });
      expectError(full, 403, 'QuotaExceeded', 'Persisted face number reached limit.');
      expect(f0.state.group('PersonGroup', 'g1')?.persons.get(pid)?.faces.size).toBe(248);
    } finally {
      await f0.close();
    }
  });
});

describe.each(KINDS)('$kind persisted faces', ({ kind, base, prefix }) => {
  let pid: string;
  beforeEach(async () => {
    await createGroup(base, 'g1');
    pid = await createPerson(base, 'g1');
  });
  const facesPath = () => `${base}/g1/persons/${pid}/persistedfaces`;

  it('add from bytes (with userData) / get / update / delete', async () => {
    const added = await addFace(
      base,
      'g1',
      pid,
      await face(1),
      '?userData=' + encodeURIComponent('a b&c') + '&detectionModel=detection_03',
    );
    expect(added.status).toBe(200);
    expect(Object.keys(added.json)).toEqual(['persistedFaceId']);
    const fid = added.json.persistedFaceId as string;
    expect(fid).toMatch(GUID);
    expect((await api(emu, 'GET', `${facesPath()}/${fid}`)).json).toEqual({ persistedFaceId: fid, userData: 'a b&c' });
    const live = emu.state.group(kind, 'g1')?.persons.get(pid)?.faces; // a live Map
    expect(live?.get(fid)).toMatchObject({ userData: 'a b&c', rect: { left: 60, top: 60, width: 120, height: 120 } });

    expectEmpty(await api(emu, 'PATCH', `${facesPath()}/${fid}`, { json: { userData: 'changed' } }));
    expect((await api(emu, 'GET', `${facesPath()}/${fid}`)).json).toEqual({
      persistedFaceId: fid,
      userData: 'changed',
    });
    expectError(
      await api(emu, 'PATCH', `${facesPath()}/${fid}`, { json: { userData: 'u'.repeat(1025) } }),
      400,
      'BadArgument',
      "'userData' is too long.",
    );

    const plain = (await addFace(base, 'g1', pid, await face(2))).json.persistedFaceId;
    expect((await api(emu, 'GET', `${facesPath()}/${plain}`)).json).toEqual({ persistedFaceId: plain });

    expect(live?.get(fid)?.userData).toBe('changed');
    expectEmpty(await api(emu, 'DELETE', `${facesPath()}/${fid}`));
    expect(live?.has(fid)).toBe(false);
    expectError(
      await api(emu, 'GET', `${facesPath()}/${fid}`),
      404,
      'PersistedFaceNotFound',
      `Persisted face ${fid} is not found.`,
    );
    expectError(
      await api(emu, 'DELETE', `${facesPath()}/not-a-guid`),
      404,
      'PersistedFaceNotFound',
      'Persisted face ID is invalid.',
    );
    expectError(
      await api(emu, 'GET', `${base}/g1/persons/00000000-0000-4000-8000-000000000000/persistedfaces/${plain}`),
      404,
      'PersonNotFound',
    );
    expect((await api(emu, 'GET', `${base}/g1/persons/${pid}`)).json.persistedFaceIds).toEqual([plain]);
  });

  it('add from {url}: only URLs registered in emulator.images; InvalidURL otherwise', async () => {
    emu.images.set('https://img.example/ann.jpg', await face(1));
    const ok = await api(emu, 'POST', facesPath(), { json: { url: 'https://img.example/ann.jpg' } });
    expect(ok.status).toBe(200);
    expect(ok.json.persistedFaceId).toMatch(GUID);
    expectError(
      await api(emu, 'POST', facesPath(), { json: { url: 'https://img.example/other.jpg' } }),
      400,
      'InvalidURL',
      'Invalid image URL or error downloading from target server. ' +
        'Remote server error returned: "An error occurred while sending the request."',
    );
    for (const url of ['not a url', 'ftp://img.example/a.jpg', '']) {
      expectError(await api(emu, 'POST', facesPath(), { json: { url } }), 400, 'InvalidURL', 'Invalid image URL.');
    }
    expectError(await api(emu, 'POST', facesPath(), { json: {} }), 400, 'InvalidURL', 'Invalid image URL.');
    expectError(
      await api(emu, 'POST', facesPath(), { raw: '{"url":', contentType: 'application/json' }),
      400,
      'BadArgument',
      'JSON parsing error.',
    );
    expectError(
      await api(emu, 'POST', facesPath(), { raw: await face(1), contentType: 'image/jpeg' }),
      415,
      'BadArgument',
      'Invalid Media Type.',
    );
    expectError(
      await api(emu, 'POST', facesPath(), { raw: await face(1), contentType: null }),
      415,
      'BadArgument',
      'Invalid Media Type.',
    );
  });

  it('image errors: size limits, decoding, no face, more than one face', async () => {
    const tiny = await raw(pattern(1, 8, 8), 8, 8)
      .png()
      .toBuffer();
    expect(tiny.length).toBeLessThan(1024);
    expectError(await addFace(base, 'g1', pid, tiny), 400, 'InvalidImageSize', 'Image size is too small.');
    const huge = Buffer.alloc(6 * 1024 * 1024 + 1, 7);
    huge[0] = 0xff;
    huge[1] = 0xd8;
    huge[2] = 0xff;
    expectError(await addFace(base, 'g1', pid, huge), 400, 'InvalidImageSize', 'Image size is too big.');
    const garbage = Buffer.alloc(4096, 0x41);
    expectError(
      await addFace(base, 'g1', pid, garbage),
      400,
      'InvalidImage',
      'Decoding error, image format unsupported.',
    );
    const truncated = (await face(1)).subarray(0, 3000);
    expectError(
      await addFace(base, 'g1', pid, truncated),
      400,
      'InvalidImage',
      'Decoding error, image format unsupported.',
    );
    expectError(await addFace(base, 'g1', pid, await noFace()), 400, 'InvalidImage', 'No face detected in the image.');
    expectError(
      await addFace(base, 'g1', pid, await groupPhoto(3)),
      400,
      'InvalidImage',
      'There is more than 1 face in the image.',
    );
    // a group photo with only one face-bearing tile is fine
    expect((await addFace(base, 'g1', pid, await groupPhoto(3, [0, 2]))).status).toBe(200);
    expect(emu.state.group(kind, 'g1')?.persons.get(pid)?.faces.size).toBe(1);
  });

  it('GIF (first frame) and uncompressed BMP are accepted', async () => {
    const gif = await raw(pattern(3, 240, 240), 240, 240)
      .gif()
      .toBuffer();
    expect((await addFace(base, 'g1', pid, gif)).status).toBe(200);
    expect((await addFace(base, 'g1', pid, bmp(pattern(3, 120, 120), 120, 120))).status).toBe(200);
  });

  it('targetFace picks the face whose box overlaps the rectangle; format and range errors', async () => {
    const photo = await groupPhoto(3); // 600×200: boxes at x=50,250,450 (100×100, y=50)
    const r = await addFace(base, 'g1', pid, photo, '?targetFace=250,50,100,100');
    expect(r.status).toBe(200);
    expect(emu.state.group(kind, 'g1')?.persons.get(pid)?.faces.get(r.json.persistedFaceId)?.rect).toEqual({
      left: 250,
      top: 50,
      width: 100,
      height: 100,
    });
    expect((await addFace(base, 'g1', pid, photo, '?targetFace=440,40,30,30')).status).toBe(200);
    expectError(
      await addFace(base, 'g1', pid, photo, '?targetFace=0,0,20,20'),
      400,
      'InvalidImage',
      'No face detected in the image.',
    );
    expectError(
      await addFace(base, 'g1', pid, photo, '?targetFace=100,60,200,50'),
      400,
      'InvalidImage',
      'There is more than 1 face in the image.',
    );
    for (const bad of ['1,2,3', 'a,b,c,d', '1,2,3,4,5', '-1,0,10,10', '0,0,0,10']) {
      expectError(
        await addFace(base, 'g1', pid, photo, `?targetFace=${bad}`),
        400,
        'BadArgument',
        'Invalid argument targetFace.',
      );
    }
    expectError(
      await addFace(base, 'g1', pid, photo, '?targetFace=550,50,100,100'),
      400,
      'BadArgument',
      'Argument targetFace out of range.',
    );
  });

  it('query validation: userData ≤ 1 KB, detectionModel enum; unknown group/person', async () => {
    expectError(
      await addFace(base, 'g1', pid, await face(1), `?userData=${'u'.repeat(1025)}`),
      400,
      'BadArgument',
      "'userData' is too long.",
    );
    expect((await addFace(base, 'g1', pid, await face(1), `?userData=${'u'.repeat(1024)}`)).status).toBe(200);
    expectError(
      await addFace(base, 'g1', pid, await face(1), '?detectionModel=detection_09'),
      400,
      'BadArgument',
      "'detectionModel' is invalid.",
    );
    expectError(await addFace(base, 'zz', pid, await face(1)), 404, `${prefix}NotFound`);
    expectError(
      await addFace(base, 'g1', '00000000-0000-4000-8000-000000000000', await face(1)),
      404,
      'PersonNotFound',
    );
    expectError(await addFace(base, 'g1', 'xyz', await face(1)), 404, 'PersonNotFound', 'Person ID is invalid.');
  });
});

describe.each(KINDS)('$kind training', ({ kind, base, prefix, noun }) => {
  it('never trained → 404 …NotTrained; train → 202 running → succeeded; 409 while running', async () => {
    await createGroup(base, 'g1');
    const pid = await createPerson(base, 'g1');
    expect((await addFace(base, 'g1', pid, await face(1))).status).toBe(200);
    expectError(await api(emu, 'GET', `${base}/g1/training`), 404, `${prefix}NotTrained`, `${noun} not trained.`);
    expect(emu.state.group(kind, 'g1')?.trainingStatus).toBe('notstarted');

    const t = await api(emu, 'POST', `${base}/g1/train`);
    expectEmpty(t, 202);
    const running = await api(emu, 'GET', `${base}/g1/training`);
    expect(running.status).toBe(200);
    expect(running.json).toMatchObject({ status: 'running', message: null });
    expect(running.json.createdDateTime).toMatch(ISO);
    expect(running.json.lastActionDateTime).toMatch(ISO);
    expect(emu.state.group(kind, 'g1')?.trainingStatus).toBe('running');

    // mutations the notes list as blocked during training
    expectError(
      await api(emu, 'POST', `${base}/g1/train`),
      409,
      `${prefix}TrainingNotFinished`,
      `${noun} is under training.`,
    );
    expectError(
      await api(emu, 'DELETE', `${base}/g1`),
      409,
      `${prefix}TrainingNotFinished`,
      `${noun} is under training.`,
    );
    expectError(
      await addFace(base, 'g1', pid, await face(2)),
      409,
      `${prefix}TrainingNotFinished`,
      `${noun} is under training.`,
    );
    // ... and some that are not
    const other = await createPerson(base, 'g1', 'Other');
    expectEmpty(await api(emu, 'PATCH', `${base}/g1/persons/${other}`, { json: { name: 'O' } }));
    expectEmpty(await api(emu, 'DELETE', `${base}/g1/persons/${other}`));
    expectEmpty(await api(emu, 'PATCH', `${base}/g1`, { json: { name: 'still ok' } }));

    finishTraining();
    const done = await api(emu, 'GET', `${base}/g1/training`);
    expect(done.json).toEqual({
      status: 'succeeded',
      createdDateTime: running.json.createdDateTime,
      lastActionDateTime: expect.stringMatching(ISO),
      message: null,
    });
    expect(Date.parse(done.json.lastActionDateTime)).toBeGreaterThan(Date.parse(running.json.lastActionDateTime));
    expect(emu.state.group(kind, 'g1')?.trainingStatus).toBe('succeeded');
    expect((await addFace(base, 'g1', pid, await face(2))).status).toBe(200);
    expectEmpty(await api(emu, 'DELETE', `${base}/g1`));
  });

  it('a group without any face trains to "failed" with a message', async () => {
    await createGroup(base, 'empty');
    await createPerson(base, 'empty');
    expectEmpty(await api(emu, 'POST', `${base}/empty/train`), 202);
    finishTraining();
    const r = await api(emu, 'GET', `${base}/empty/training`);
    expect(r.json.status).toBe('failed');
    expect(typeof r.json.message).toBe('string');
  });

  it('trainingMs option: the real clock ends the training', async () => {
    const quick = await startAzureFaceEmulator({ subscriptionKeys: [KEY], trainingMs: 30 });
    try {
      expectEmpty(await api(quick, 'PUT', `${base}/g`, { json: { name: 'g' } }));
      const p = (await api(quick, 'POST', `${base}/g/persons`, { json: { name: 'a' } })).json.personId;
      expect(
        (
          await api(quick, 'POST', `${base}/g/persons/${p}/persistedfaces`, {
            raw: await face(1),
            contentType: 'application/octet-stream',
          })
        ).status,
      ).toBe(200);
      expect((await api(quick, 'POST', `${base}/g/train`)).status).toBe(202);
      expect((await api(quick, 'GET', `${base}/g/training`)).json.status).toBe('running');
      await new Promise((r) => setTimeout(r, 60));
      expect((await api(quick, 'GET', `${base}/g/training`)).json.status).toBe('succeeded');
    } finally {
      await quick.close();
    }
  });
});

describe('detect', () => {
  it('returns faceId + faceRectangle per face, largest first then left to right', async () => {
    const r = await detect(await groupPhoto(3, [1]));
    expect(r.status).toBe(200);
    expect(r.json).toHaveLength(2);
    expect(r.json[0]).toEqual({
      faceId: expect.stringMatching(GUID),
      faceRectangle: { top: 50, left: 50, width: 100, height: 100 },
    });
    expect(r.json[1].faceRectangle).toEqual({ top: 50, left: 450, width: 100, height: 100 });
    expect(Object.keys(r.json[0].faceRectangle)).toEqual(['top', 'left', 'width', 'height']);
    expect(emu.state.detectedFaces.size).toBe(2);
  });

  it('returnFaceId=false, returnRecognitionModel, no face → [], errors', async () => {
    const r = await detect(
      await face(1),
      '?returnFaceId=false&returnRecognitionModel=true&recognitionModel=recognition_04&detectionModel=detection_03',
    );
    expect(r.json).toEqual([
      { faceRectangle: { top: 60, left: 60, width: 120, height: 120 }, recognitionModel: 'recognition_04' },
    ]);
    expect(emu.state.detectedFaces.size).toBe(0);
    expect((await detect(await noFace())).json).toEqual([]);
    emu.images.set('http://img.example/x.png', await face(2));
    const byUrl = await api(emu, 'POST', '/detect', { json: { url: 'http://img.example/x.png' } });
    expect(byUrl.json).toHaveLength(1);
    expectError(
      await detect(await face(1), '?recognitionModel=recognition_9'),
      400,
      'BadArgument',
      "'recognitionModel' is invalid.",
    );
    expectError(await detect(await face(1), '?detectionModel=x'), 400, 'BadArgument', "'detectionModel' is invalid.");
    expectError(await detect(await face(1), '?faceIdTimeToLive=59'), 400, 'BadArgument');
    expectError(await detect(Buffer.alloc(10)), 400, 'InvalidImageSize', 'Image size is too small.');
    expectError(
      await api(emu, 'POST', '/detect', { json: { url: 'https://nowhere.example/a.jpg' } }),
      400,
      'InvalidURL',
    );
  });
});

describe('identify', () => {
  let ann: string;
  let bob: string;
  beforeEach(async () => {
    await createGroup('/persongroups', 'staff');
    ann = await createPerson('/persongroups', 'staff', 'Ann');
    bob = await createPerson('/persongroups', 'staff', 'Bob');
    expect((await addFace('/persongroups', 'staff', ann, await face(1))).status).toBe(200);
    expect((await addFace('/persongroups', 'staff', bob, await face(2))).status).toBe(200);
  });

  async function faceIdOf(image: Buffer, query = ''): Promise<string> {
    const r = await detect(image, query);
    expect(r.status).toBe(200);
    return r.json[0].faceId as string;
  }
  const identify = (body: unknown) => api(emu, 'POST', '/identify', { json: body });

  it('untrained → 400 PersonGroupNotTrained; while training → 409; trained → candidates', async () => {
    const q = await faceIdOf(await face(1, 'jpeg', 70)); // Ann, re-encoded
    expectError(
      await identify({ faceIds: [q], personGroupId: 'staff' }),
      400,
      'PersonGroupNotTrained',
      'Person group not trained.',
    );
    expectEmpty(await api(emu, 'POST', '/persongroups/staff/train'), 202);
    expectError(
      await identify({ faceIds: [q], personGroupId: 'staff' }),
      409,
      'PersonGroupTrainingNotFinished',
      'Person group is under training.',
    );
    finishTraining();
    const r = await identify({ faceIds: [q], personGroupId: 'staff' });
    expect(r.status).toBe(200);
    expect(r.json).toEqual([{ faceId: q, candidates: [{ personId: ann, confidence: expect.any(Number) }] }]);
    expect(r.json[0].candidates[0].confidence).toBeGreaterThan(0.95);
    expect(r.json[0].candidates[0].confidence).toBeLessThanOrEqual(1);
  });

  it('threshold (default 0.7), maxNumOfCandidatesReturned, several faceIds, unknown faces', async () => {
    expectEmpty(await api(emu, 'POST', '/persongroups/staff/train'), 202);
    finishTraining();
    const annQ = await faceIdOf(await face(1));
    const stranger = await faceIdOf(await face(7));
    const r = await identify({ faceIds: [annQ, stranger], personGroupId: 'staff' });
    expect(r.json[0]).toEqual({ faceId: annQ, candidates: [{ personId: ann, confidence: 1 }] });
    expect(r.json[1]).toEqual({ faceId: stranger, candidates: [] });
    const all = await identify({
      faceIds: [annQ],
      personGroupId: 'staff',
      confidenceThreshold: 0,
      maxNumOfCandidatesReturned: 5,
    });
    const cands = all.json[0].candidates as { personId: string; confidence: number }[];
    expect(cands.map((c) => c.personId)).toEqual([ann, bob]);
    expect(cands[0]!.confidence).toBeGreaterThan(cands[1]!.confidence);
    const one = await identify({
      faceIds: [annQ],
      personGroupId: 'staff',
      confidenceThreshold: 0,
      maxNumOfCandidatesReturned: 1,
    });
    expect(one.json[0].candidates).toHaveLength(1);
    // faces added after the training are not searched until the next training
    const carl = await createPerson('/persongroups', 'staff', 'Carl');
    expect((await addFace('/persongroups', 'staff', carl, await face(7))).status).toBe(200);
    expect((await identify({ faceIds: [stranger], personGroupId: 'staff' })).json[0].candidates).toEqual([]);
    expectEmpty(await api(emu, 'POST', '/persongroups/staff/train'), 202);
    finishTraining();
    expect((await identify({ faceIds: [stranger], personGroupId: 'staff' })).json[0].candidates[0].personId).toBe(carl);
    // a person deleted after training is no longer a candidate
    expectEmpty(await api(emu, 'DELETE', `/persongroups/staff/persons/${ann}`));
    expect((await identify({ faceIds: [annQ], personGroupId: 'staff' })).json[0].candidates).toEqual([]);
  });

  it('request validation and the documented identify errors', async () => {
    expectEmpty(await api(emu, 'POST', '/persongroups/staff/train'), 202);
    finishTraining();
    const q = await faceIdOf(await face(1));
    expectError(
      await identify({ faceIds: [], personGroupId: 'staff' }),
      400,
      'BadArgument',
      'The length of faceIds is not in a valid range.',
    );
    expectError(
      await identify({ faceIds: Array(11).fill(q), personGroupId: 'staff' }),
      400,
      'BadArgument',
      'The length of faceIds is not in a valid range.',
    );
    expectError(
      await identify({ personGroupId: 'staff' }),
      400,
      'BadArgument',
      'The length of faceIds is not in a valid range.',
    );
    expectError(
      await identify({ faceIds: [q], personGroupId: 'staff', largePersonGroupId: 'x' }),
      400,
      'PersonGroupIdAndLargePersonGroupIdBothNotNull',
    );
    expectError(await identify({ faceIds: [q] }), 400, 'PersonGroupIdAndLargePersonGroupIdBothNull');
    for (const m of [0, 101, 1.5, '3']) {
      expectError(
        await identify({ faceIds: [q], personGroupId: 'staff', maxNumOfCandidatesReturned: m }),
        400,
        'BadArgument',
        'The argument maxNumOfCandidatesReturned is not valid.',
      );
    }
    for (const c of [-0.1, 1.1, 'high']) {
      expectError(
        await identify({ faceIds: [q], personGroupId: 'staff', confidenceThreshold: c }),
        400,
        'BadArgument',
        'The argument confidenceThreshold is not valid.',
      );
    }
    expectError(
      await identify({ faceIds: [q], personGroupId: 'Bad Id' }),
      400,
      'BadArgument',
      'Person group ID is invalid.',
    );
    expectError(
      await identify({ faceIds: [q], personGroupId: 'nope' }),
      400,
      'PersonGroupNotFound',
      'Person group is not found.',
    );
    expectError(
      await identify({ faceIds: [q], largePersonGroupId: 'nope' }),
      400,
      'LargePersonGroupNotFound',
      'Large person group is not found.',
    );
    expectError(
      await identify({ faceIds: ['00000000-0000-4000-8000-000000000000'], personGroupId: 'staff' }),
      400,
      'FaceNotFound',
      'Face is not found.',
    );
    expectError(
      await identify({ faceIds: ['nope'], personGroupId: 'staff' }),
      400,
      'BadArgument',
      'Face ID is invalid.',
    );
    expectError(
      await api(emu, 'POST', '/identify', { raw: '{', contentType: 'application/json' }),
      400,
      'BadArgument',
      'JSON parsing error.',
    );
    // recognitionModel of the faceId must match the group's
    const q4 = await faceIdOf(await face(1), '?recognitionModel=recognition_04');
    expectError(
      await identify({ faceIds: [q4], personGroupId: 'staff' }),
      400,
      'BadArgument',
      "'recognitionModel' is incompatible.",
    );
  });

  it('faceIds expire (24 h by default, faceIdTimeToLive otherwise)', async () => {
    expectEmpty(await api(emu, 'POST', '/persongroups/staff/train'), 202);
    finishTraining();
    const day = await faceIdOf(await face(1));
    const short = await faceIdOf(await face(1), '?faceIdTimeToLive=60');
    emu.clock.advance(61_000);
    expectError(await identify({ faceIds: [short], personGroupId: 'staff' }), 400, 'FaceNotFound');
    expect((await identify({ faceIds: [day], personGroupId: 'staff' })).status).toBe(200);
    emu.clock.advance(24 * 3600 * 1000);
    expectError(await identify({ faceIds: [day], personGroupId: 'staff' }), 400, 'FaceNotFound');
  });

  it('large person groups: identify by largePersonGroupId', async () => {
    await createGroup('/largepersongroups', 'big', { name: 'big', recognitionModel: 'recognition_04' });
    const p = await createPerson('/largepersongroups', 'big');
    expect((await addFace('/largepersongroups', 'big', p, await face(3))).status).toBe(200);
    const q = await faceIdOf(await face(3), '?recognitionModel=recognition_04');
    expectError(
      await identify({ faceIds: [q], largePersonGroupId: 'big' }),
      400,
      'LargePersonGroupNotTrained',
      'Large person group not trained.',
    );
    expectEmpty(await api(emu, 'POST', '/largepersongroups/big/train'), 202);
    expectError(
      await identify({ faceIds: [q], largePersonGroupId: 'big' }),
      409,
      'LargePersonGroupTrainingNotFinished',
    );
    finishTraining();
    const r = await identify({ faceIds: [q], largePersonGroupId: 'big', maxNumOfCandidatesReturned: 3 });
    expect(r.json).toEqual([{ faceId: q, candidates: [{ personId: p, confidence: 1 }] }]);
  });
});

describe('Limited Access (identifyAllowed: false)', () => {
  it('identify and detect with returnFaceId=true → 403 with the InvalidRequest/UnsupportedFeature body', async () => {
    const gated = await startAzureFaceEmulator({ subscriptionKeys: [KEY], identifyAllowed: false });
    try {
      const r = await api(gated, 'POST', '/identify', {
        json: { faceIds: ['00000000-0000-4000-8000-000000000000'], personGroupId: 'x' },
      });
      expect(r.status).toBe(403);
      expect(r.json).toEqual(LIMITED_ACCESS_BODY);
      expect(r.json.error.innererror).toEqual({
        code: 'UnsupportedFeature',
        message:
          'Feature is not supported, missing approval for one or more of the following ' +
          'features: Identification,Verification. Please apply for access at https://aka.ms/facerecognition',
      });
      expect(gated.requests.at(-1)).toMatchObject({
        operation: 'identify',
        status: 403,
        errorCode: 'UnsupportedFeature',
      });
      const d = await api(gated, 'POST', '/detect', { raw: await face(1), contentType: 'application/octet-stream' });
      expect(d.status).toBe(403);
      expect(d.json).toEqual(LIMITED_ACCESS_BODY);
      const plain = await api(gated, 'POST', '/detect?returnFaceId=false', {
        raw: await face(1),
        contentType: 'application/octet-stream',
      });
      expect(plain.status).toBe(200);
      expect(plain.json).toHaveLength(1);
      // the face library itself stays usable
      expectEmpty(await api(gated, 'PUT', '/persongroups/g', { json: { name: 'g' } }));
    } finally {
      await gated.close();
    }
  });

  it('limitedAccessGatesDetect: false refuses identify only', async () => {
    const gated = await startAzureFaceEmulator({
      subscriptionKeys: [KEY],
      identifyAllowed: false,
      limitedAccessGatesDetect: false,
    });
    try {
      const d = await api(gated, 'POST', '/detect', { raw: await face(1), contentType: 'application/octet-stream' });
      expect(d.status).toBe(200);
      const r = await api(gated, 'POST', '/identify', { json: { faceIds: [d.json[0].faceId], personGroupId: 'x' } });
      expect(r.status).toBe(403);
      expect(r.json).toEqual(LIMITED_ACCESS_BODY);
    } finally {
      await gated.close();
    }
  });
});

describe('fault injection', () => {
  beforeEach(async () => {
    await createGroup('/persongroups', 'g1');
  });

  it('status 429: default Azure body + Retry-After, scoped to an operation and a count', async () => {
    emu.faults.next({ kind: 'status', status: 429, operation: 'getGroup', times: 2 });
    expect((await api(emu, 'GET', '/persongroups')).status).toBe(200); // other operation untouched
    for (let i = 0; i < 2; i++) {
      const r = await api(emu, 'GET', '/persongroups/g1');
      expect(r.status).toBe(429);
      expect(r.json).toEqual({ error: { code: '429', message: 'Rate limit is exceeded. Try again in 1 seconds.' } });
      expect(r.headers['retry-after']).toBe('1');
      expect(r.headers['apim-request-id']).toMatch(GUID);
    }
    expect((await api(emu, 'GET', '/persongroups/g1')).status).toBe(200);
    emu.faults.next({ kind: 'status', status: 429, headers: { 'Retry-After': '26' } });
    const custom = await api(emu, 'GET', '/persongroups/g1');
    expect(custom.json.error.message).toBe('Rate limit is exceeded. Try again in 26 seconds.');
    expect(custom.headers['retry-after']).toBe('26');
    // a custom body gets no default Retry-After (only the headers given)
    emu.faults.next({
      kind: 'status',
      status: 429,
      body: { error: { statusCode: 429, message: 'Rate limit is exceeded. Try again in 26 seconds.' } },
    });
    const old = await api(emu, 'GET', '/persongroups/g1');
    expect(old.json).toEqual({
      error: { statusCode: 429, message: 'Rate limit is exceeded. Try again in 26 seconds.' },
    });
    expect(old.headers['retry-after']).toBeUndefined();
  });

  it('status 403 (call-volume quota body), 401, 500/503, a custom body, and apply:true', async () => {
    emu.faults.next({ kind: 'status', status: 403 });
    const q = await api(emu, 'GET', '/persongroups');
    expect(q.status).toBe(403);
    expect(q.json).toEqual(QUOTA_BODY);
    expect(q.json).toEqual({
      error: { statusCode: 403, message: 'Out of call volume quota. Quota will be replenished in 2.12 days.' },
    });
    emu.faults.next({ kind: 'status', status: 401 });
    expect((await api(emu, 'GET', '/persongroups')).json.error.code).toBe('401');
    emu.faults.next({ kind: 'status', status: 500 });
    expectError(await api(emu, 'GET', '/persongroups'), 500, 'InternalServerError');
    emu.faults.next({ kind: 'status', status: 503 });
    expectError(await api(emu, 'GET', '/persongroups'), 503, 'ServiceUnavailable');
    emu.faults.next({
      kind: 'status',
      status: 503,
      body: { error: { code: 'X', message: 'busy' } },
      headers: { 'x-extra': '1' },
    });
    const c = await api(emu, 'GET', '/persongroups');
    expect(c.json).toEqual({ error: { code: 'X', message: 'busy' } });
    expect(c.headers['x-extra']).toBe('1');
    emu.faults.next({ kind: 'status', status: 503, operation: 'createPerson', apply: true });
    expect((await api(emu, 'POST', '/persongroups/g1/persons', { json: { name: 'x' } })).status).toBe(503);
    expect(emu.state.group('PersonGroup', 'g1')?.persons.size).toBe(1); // the vendor acted although it answered 503
    expect(emu.requests.at(-1)).toMatchObject({
      operation: 'createPerson',
      fault: 'status',
      applied: true,
      status: 503,
    });
  });

  it('delay: answers late; by default nothing happens when the client timed out first', async () => {
    emu.faults.next({ kind: 'delay', ms: 120 });
    const t0 = Date.now();
    expect((await api(emu, 'GET', '/persongroups')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);

    emu.faults.next({ kind: 'delay', ms: 250, operation: 'createGroup' });
    await expect(api(emu, 'PUT', '/persongroups/late', { json: { name: 'late' }, timeoutMs: 60 })).rejects.toThrow(
      'client timeout',
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(emu.state.group('PersonGroup', 'late')).toBeUndefined();
    expect(emu.requests.at(-1)).toMatchObject({
      operation: 'createGroup',
      fault: 'delay',
      applied: false,
      status: null,
    });
  });

  it('delay with applyThenDelay: the operation is applied although the client timed out', async () => {
    emu.faults.next({ kind: 'delay', ms: 250, applyThenDelay: true, operation: 'createGroup' });
    await expect(api(emu, 'PUT', '/persongroups/late', { json: { name: 'late' }, timeoutMs: 60 })).rejects.toThrow(
      'client timeout',
    );
    expect(emu.state.group('PersonGroup', 'late')).toBeDefined();
    expect(emu.requests.at(-1)).toMatchObject({ operation: 'createGroup', applied: true, status: null });
  });

  it('malformed-json: 200 with a truncated JSON body (optionally applied)', async () => {
    emu.faults.next({ kind: 'malformed-json', operation: 'createPerson', apply: true });
    const r = await api(emu, 'POST', '/persongroups/g1/persons', { json: { name: 'x' } });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(() => JSON.parse(r.text)).toThrow();
    expect(emu.state.group('PersonGroup', 'g1')?.persons.size).toBe(1);
  });

  it('drop: the socket is destroyed, optionally after applying the operation', async () => {
    emu.faults.next({ kind: 'drop', operation: 'deleteGroup' });
    await expect(api(emu, 'DELETE', '/persongroups/g1')).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(emu.state.group('PersonGroup', 'g1')).toBeDefined();
    emu.faults.next({ kind: 'drop', apply: true });
    await expect(api(emu, 'DELETE', '/persongroups/g1')).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(emu.state.group('PersonGroup', 'g1')).toBeUndefined();
    expect(emu.requests.at(-1)).toMatchObject({ fault: 'drop', applied: true, status: null });
    expect(emu.faults.pending).toEqual([]);
  });

  it('faults apply only after authentication succeeded; unknown operation names are refused', async () => {
    emu.faults.next({ kind: 'status', status: 500 });
    expect((await api(emu, 'GET', '/persongroups', { key: 'bad' })).status).toBe(401);
    expect(emu.faults.pending).toHaveLength(1);
    expect(emu.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/face/v1.0/persongroups',
      operation: 'listGroups',
      authenticated: false,
      status: 401,
    });
    expect((await api(emu, 'GET', '/persongroups')).status).toBe(500);
    expect(() => emu.faults.next({ kind: 'drop', operation: 'searchFaces' })).toThrow(/unknown operation/);
  });

  it('every operation name is reachable and logged (both group kinds share the names)', async () => {
    const pid = await createPerson('/persongroups', 'g1');
    const fid = (await addFace('/persongroups', 'g1', pid, await face(1))).json.persistedFaceId;
    await api(emu, 'GET', `/persongroups/g1/persons/${pid}/persistedfaces/${fid}`);
    await api(emu, 'PATCH', `/persongroups/g1/persons/${pid}/persistedfaces/${fid}`, { json: { userData: 'u' } });
    await api(emu, 'DELETE', `/persongroups/g1/persons/${pid}/persistedfaces/${fid}`);
    await api(emu, 'GET', `/persongroups/g1/persons/${pid}`);
    await api(emu, 'GET', '/persongroups/g1/persons');
    await api(emu, 'PATCH', `/persongroups/g1/persons/${pid}`, { json: { name: 'n' } });
    await api(emu, 'DELETE', `/persongroups/g1/persons/${pid}`);
    await api(emu, 'POST', '/persongroups/g1/train');
    await api(emu, 'GET', '/persongroups/g1/training');
    await api(emu, 'PATCH', '/largepersongroups/x', { json: { name: 'n' } });
    await api(emu, 'GET', '/largepersongroups/x');
    await api(emu, 'DELETE', '/largepersongroups/x');
    await detect(await face(1));
    await api(emu, 'POST', '/identify', { json: {} });
    const seen = new Set(emu.requests.map((r) => r.operation));
    for (const op of [
      'createGroup',
      'getGroup',
      'listGroups',
      'deleteGroup',
      'updateGroup',
      'createPerson',
      'getPerson',
      'listPersons',
      'deletePerson',
      'updatePerson',
      'addFace',
      'getFace',
      'updateFace',
      'deleteFace',
      'train',
      'getTraining',
      'detect',
      'identify',
    ]) {
      expect(seen).toContain(op);
    }
    expect(emu.requests.find((r) => r.path === '/face/v1.0/largepersongroups/x')).toMatchObject({
      groupKind: 'LargePersonGroup',
    });
  });
});
