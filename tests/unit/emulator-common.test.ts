import { Lifecycle, listen } from '../emulators/common/http';

// The emulators' shared server: an unexpected failure inside a handler still answers in the vendor's format.

const failing = async () => {
  throw new Error('a bug in the emulator');
};

it.each([
  [
    'an XML vendor (OSS): the string as it is',
    '<?xml version="1.0"?><Error><Code>InternalError</Code></Error>',
    'application/xml',
    '<?xml version="1.0"?><Error><Code>InternalError</Code></Error>',
  ],
  [
    'a JSON vendor: the object as JSON',
    { error: { code: 'InternalServerError' } },
    'application/json',
    '{"error":{"code":"InternalServerError"}}',
  ],
])('a handler that throws answers crash() for %s', async (_name, body, contentType, expected) => {
  const server = await listen({}, new Lifecycle(), failing, () => ({ status: 500, body, contentType }));
  try {
    const res = await fetch(`${server.endpoint}/anything`);
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toBe(contentType);
    expect(await res.text()).toBe(expected);
  } finally {
    await server.close();
  }
});
