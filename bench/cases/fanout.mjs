// fan-out: the nested query libraries -> persons(first: 20) -> faces(first: 5) -> person, over a LOCAL and a
// HUAWEI_FRS library, as the number of persons grows. Counts the ledger statements the server ran
// (ledger.queryCount()), the calls into the vendor adapters (their methods wrapped by the bench's server
// harness) and the HTTP requests the FRS emulator received, for one execution of the query.

import { randomUUID } from 'node:crypto';
import { expectMember, gql, requireFromRoot, size } from '../lib/util.mjs';
import { frsPictures } from '../lib/images.mjs';

const Database = requireFromRoot('better-sqlite3');

export const FAN_OUT_QUERY = `query FanOut { libraries(first: 20) { edges { node { name
  persons(first: 20) { edges { node { name faces(first: 5) { edges { node { person { name } } } } } } } } } } }`;

const FACES_PER_PERSON = 3;

export async function fanOutCase({ gateway, emulator, client, ledgerFile }) {
  const url = gateway.info.url;
  const create = async (providerId) => {
    const data = await gql(
      client,
      url,
      'mutation($i: CreateLibraryInput!) { createLibrary(input: $i) { __typename ' +
        '... on CreateLibrarySuccess { library { id } } ... on Error { code message } } }',
      { i: { providerId, name: 'fanout' } },
    );
    return expectMember(data.createLibrary, 'CreateLibrarySuccess').library.id;
  };
  const localLibrary = await create('local');
  const hwLibrary = await create('hw');
  const pictures = await frsPictures(4);

  // LOCAL faces go straight into the ledger (the face engine is not what this case measures); FRS ones
  // through the API, so the emulator holds them too.
  const db = new Database(ledgerFile);
  db.pragma('busy_timeout = 5000');
  const localRowId = db
    .prepare(`SELECT row_id FROM libraries WHERE provider_id = 'local' AND name = 'fanout'`)
    .get().row_id;
  const addPerson = db.prepare(
    `INSERT INTO persons (library_row_id, external_id, name, user_data, created_at) VALUES (?, ?, ?, NULL, ?)`,
  );
  const addFace = db.prepare(
    `INSERT INTO faces (library_row_id, person_row_id, vendor_face_id, external_image_id, fields,
                        created_at, updated_at)
     VALUES (?, ?, ?, NULL, '{}', ?, ?)`,
  );
  const addLocalPerson = db.transaction((n) => {
    const at = new Date().toISOString();
    const personRowId = Number(addPerson.run(localRowId, `p${n}`, `Local ${n}`, at).lastInsertRowid);
    for (let k = 0; k < FACES_PER_PERSON; k++) addFace.run(localRowId, personRowId, randomUUID(), at, at);
  });
  async function addHwPerson(n) {
    const data = await gql(
      client,
      url,
      'mutation($i: CreatePersonInput!) { createPerson(input: $i) { __typename ' +
        '... on CreatePersonSuccess { person { id } } ... on Error { code message } } }',
      { i: { libraryId: hwLibrary, externalId: `p${n}`, name: `Frs ${n}` } },
    );
    const personId = expectMember(data.createPerson, 'CreatePersonSuccess').person.id;
    for (let k = 0; k < FACES_PER_PERSON; k++) {
      const r = await gql(
        client,
        url,
        'mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename ... on Error { code message } } }',
        {
          i: {
            libraryId: hwLibrary,
            personId,
            image: { base64: pictures[(n + k) % pictures.length].toString('base64') },
          },
        },
      );
      expectMember(r.registerFace, 'RegisterFaceSuccess');
    }
  }

  const stages = [];
  let persons = 0;
  for (const target of size([1, 5, 20, 40], [1, 5, 20])) {
    for (; persons < target; persons++) {
      addLocalPerson(persons);
      await addHwPerson(persons);
    }
    await gql(client, url, FAN_OUT_QUERY); // warm-up (not counted)
    const before = await gateway.call('stats');
    const vendorBefore = await emulator.call('stats');
    const data = await gql(client, url, FAN_OUT_QUERY);
    const after = await gateway.call('stats');
    const vendorAfter = await emulator.call('stats');
    const adapterCalls = {};
    for (const [k, v] of Object.entries(after.vendorCalls))
      if (v - (before.vendorCalls[k] ?? 0) > 0) adapterCalls[k] = v - (before.vendorCalls[k] ?? 0);
    const returned = data.libraries.edges.map((e) => ({
      library: e.node.name,
      persons: e.node.persons.edges.length,
      faces: e.node.persons.edges.reduce((a, p) => a + p.node.faces.edges.length, 0),
    }));
    stages.push({
      personsPerLibrary: persons,
      returned,
      ledgerStatements: after.queryCount - before.queryCount,
      vendorCalls: Object.values(adapterCalls).reduce((a, b) => a + b, 0),
      adapterCalls,
      frsHttpRequests: vendorAfter.requests - vendorBefore.requests,
    });
  }
  db.close();
  const statements = stages.map((s) => s.ledgerStatements);
  const constant =
    statements.every((s) => s === statements[0]) && stages.every((s) => s.vendorCalls === 0 && s.frsHttpRequests === 0);
  return {
    query: FAN_OUT_QUERY.replace(/\s+/g, ' '),
    libraries: 2,
    facesPerPerson: FACES_PER_PERSON,
    stages,
    target: 'constant in the number of persons',
    met: constant,
  };
}
