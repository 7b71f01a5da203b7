/**
 * End-to-end check of the self-hosted GraphiQL page in headless Chromium:
 * GET /graphql in a browser renders GraphiQL 5 (bundled, Monaco workers
 * included), runs a query against the server, and loads nothing from outside
 * 127.0.0.1/localhost.
 *
 * Needs /usr/bin/chromium (apt-get install -y chromium). Skips when it is
 * absent, unless CI is set, in which case it fails.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page, Request as PwRequest } from 'playwright-core';
import { GRAPHIQL_CSP, resolveGraphiqlDist } from '../../src/server/graphiql';
import { chromiumAvailability, launchChromium } from '../support/chromium';
import { facePhoto } from '../support/images';
import { untilSubscribed } from '../support/subscriptions';
import { gql, startTestServer, type TestServer } from '../support/test-server';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const SCREENSHOT = '/tmp/graphiql.png';

const availability = chromiumAvailability();
if (!availability.run) console.warn(availability.skipReason);
const describeBrowser = availability.run ? describe : describe.skip;

describeBrowser(`GraphiQL in the browser${availability.run ? '' : ` — ${availability.skipReason}`}`, () => {
  jest.setTimeout(120_000);

  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const failedRequests: string[] = [];
  const workerUrls: string[] = [];
  const consoleErrors = new Set<string>();

  beforeAll(async () => {
    const dist = resolveGraphiqlDist();
    if (!existsSync(path.join(dist, 'index.html'))) {
      execFileSync(process.execPath, [path.join(__dirname, '../../scripts/build-graphiql.mjs')], { stdio: 'inherit' });
    }
    server = await startTestServer();

    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1400, height: 850 } });
    page = await context.newPage();

    const record = (r: PwRequest) => requests.push(r.url());
    context.on('request', record);
    context.on('requestfailed', (r) => {
      // Navigations aborted by the test itself are not failures of the page.
      if (r.failure()?.errorText !== 'net::ERR_ABORTED') failedRequests.push(`${r.url()}: ${r.failure()?.errorText}`);
    });
    const onConsole = (m: { type(): string; text(): string }) => {
      if (m.type() === 'error') consoleErrors.add(m.text());
    };
    page.on('console', onConsole);
    page.on('pageerror', (e) => consoleErrors.add(`pageerror: ${e.message}`));
    page.on('worker', (w) => {
      workerUrls.push(w.url());
      w.on('console', onConsole);
    });
  });

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await server?.close();
  });

  it('serves the GraphiQL page with a strict CSP to browser navigations', async () => {
    const response = await page.goto(server.url, { waitUntil: 'domcontentloaded' });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toMatch(/^text\/html/);
    expect(response?.headers()['content-security-policy']).toBe(GRAPHIQL_CSP);
    expect(await page.title()).toMatch(/GraphiQL/);
    expect(await page.getAttribute('link[rel="icon"]', 'href')).toBe('/favicon.svg');
  });

  it('renders GraphiQL with Monaco editors and the default query', async () => {
    await page.waitForSelector('.graphiql-container', { timeout: 30_000 });
    // Monaco is loaded and mounted in the operation editor.
    await page.waitForSelector('.graphiql-query-editor .monaco-editor .view-lines', { timeout: 30_000 });
    expect(
      await poll(
        () => editorText(page, '.graphiql-query-editor'),
        (t) => t.includes('providers'),
      ),
    ).toContain('providers {');
    // The bundled workers were started from our own assets.
    expect(
      await poll(
        async () => workerUrls.length,
        (n) => n >= 1,
      ),
    ).toBeGreaterThanOrEqual(1);
    for (const w of workerUrls) expect(new URL(w).pathname).toMatch(/^\/graphiql\/assets\/[\w.-]+\.worker-[\w]+\.js$/);
  });

  it('runs the query it opens with', async () => {
    const [graphqlResponse] = await Promise.all([
      page.waitForResponse(
        (r) => new URL(r.url()).pathname === '/graphql' && (r.request().postData() ?? '').includes('libraries'),
        { timeout: 15_000 },
      ),
      page.click('.graphiql-execute-button'),
    ]);
    expect(graphqlResponse.status()).toBe(200);
    const body = (await graphqlResponse.json()) as { data?: { providers: { id: string }[] }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data?.providers.map((p) => p.id)).toEqual(['local']);
  });

  it('runs the query a person types, with Ctrl+Enter, and shows the result', async () => {
    const typed = '{ providers { id kind } }';
    // Run at once, as a person does: GraphiQL re-reads the operation name only 100 ms after the last edit.
    const sent = await typeAndRun(page, typed);
    expect(sent.request).toEqual({ query: typed });
    expect({ status: sent.status, body: sent.body }).toEqual({
      status: 200,
      body: { data: { providers: [{ id: 'local', kind: 'LOCAL' }] } },
    });

    const result = await poll(
      () => editorText(page, '.graphiql-response'),
      (t) => t.includes('"providers"'),
    );
    expect(JSON.parse(result)).toEqual({ data: { providers: [{ id: 'local', kind: 'LOCAL' }] } });

    // Let the doc explorer / schema fetch settle, then take the screenshot.
    await page.waitForTimeout(500);
    await page.screenshot({ path: SCREENSHOT });
  });

  it('runs a newly typed named operation right after another named one', async () => {
    const first = await typeAndRun(page, 'query Mine { providers { id } }');
    expect(first.body).toEqual({ data: { providers: [{ id: 'local' }] } });
    // GraphiQL has taken `Mine` as the operation name once it saved the text.
    await poll(
      () => storedQuery(page),
      (q) => q === 'query Mine { providers { id } }',
    );
    const second = await typeAndRun(page, 'query Other { providers { kind } }');
    expect(second.request.query).toBe('query Other { providers { kind } }');
    expect({ status: second.status, body: second.body }).toEqual({
      status: 200,
      body: { data: { providers: [{ kind: 'LOCAL' }] } },
    });
  });

  it('serves the favicon as SVG', async () => {
    const origin = new URL(server.url).origin;
    for (const p of ['/favicon.svg', '/favicon.ico']) {
      const r = await page.request.get(`${origin}${p}`);
      expect(r.status()).toBe(200);
      expect(r.headers()['content-type']).toMatch(/^image\/svg\+xml/);
      expect(await r.text()).toContain('<svg');
    }
  });

  it('runs a subscription over graphql-ws and shows the events as they come', async () => {
    await page.click('.graphiql-query-editor .monaco-editor .view-lines');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('subscription { faceEvents { kind face { externalImageId } } }');
    await page.keyboard.press('Shift+ControlOrMeta+End');
    await page.keyboard.press('Delete');
    await page.keyboard.press('ControlOrMeta+Enter');
    await untilSubscribed(server, 1);

    const library = await gql(
      server.url,
      `mutation { createLibrary(input: { providerId: "local", ` +
        `name: "graphiql" }) { ... on CreateLibrarySuccess { library { id } } } }`,
    );
    const registered = await gql(
      server.url,
      `mutation($i: RegisterFaceInput!) { registerFace(input: $i) { __typename } }`,
      {
        i: {
          libraryId: library.data.createLibrary.library.id,
          externalImageId: 'seen-in-graphiql',
          image: { base64: (await facePhoto('A')).toString('base64') },
        },
      },
    );
    expect(registered.data.registerFace.__typename).toBe('RegisterFaceSuccess');
    const shown = await poll(
      () => editorText(page, '.graphiql-response'),
      (t) => t.includes('seen-in-graphiql'),
    );
    expect(JSON.parse(shown)).toEqual({
      data: { faceEvents: { kind: 'REGISTERED', face: { externalImageId: 'seen-in-graphiql' } } },
    });
  });

  it('made requests only to the local server, without failures or console errors', () => {
    expect(requests.length).toBeGreaterThan(3);
    const external = requests.filter((u) => {
      const url = new URL(u);
      if (url.protocol === 'data:' || url.protocol === 'blob:') return false;
      return !((url.protocol === 'http:' || url.protocol === 'https:') && LOCAL_HOSTS.has(url.hostname));
    });
    expect(external).toEqual([]);
    expect(failedRequests).toEqual([]);
    expect([...consoleErrors]).toEqual([]);
  });

  it('still hands non-browser GET /graphql requests to the GraphQL server', async () => {
    const json = await fetch(server.url, { headers: { accept: 'application/json' } });
    expect(json.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    const anyType = await fetch(server.url, { headers: { accept: '*/*' } });
    expect(anyType.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    const query = await fetch(`${server.url}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'text/html,application/json;q=0.9', 'apollo-require-preflight': 'true' },
    });
    expect(query.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
  });
});

/** Re-evaluates `get` until `done` holds (or the timeout passes) and returns the last value. */
async function poll<T>(get: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Run {
  request: { query?: string; operationName?: string | null; variables?: unknown };
  status: number;
  body: unknown;
}

/** Selects all of the operation editor, types `query` in its place and presses Ctrl+Enter at once. */
async function typeAndRun(page: Page, query: string): Promise<Run> {
  await page.click('.graphiql-query-editor .monaco-editor .view-lines');
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(query);
  // Monaco closes brackets as they are typed; a person deletes what it added after the cursor.
  await page.keyboard.press('Shift+ControlOrMeta+End');
  await page.keyboard.press('Delete');
  const [response] = await Promise.all([
    page.waitForResponse(
      (r) =>
        new URL(r.url()).pathname === '/graphql' &&
        r.request().method() === 'POST' &&
        !(r.request().postData() ?? '').includes('IntrospectionQuery'),
      { timeout: 15_000 },
    ),
    page.keyboard.press('ControlOrMeta+Enter'),
  ]);
  const request = JSON.parse(response.request().postData() ?? '{}') as Run['request'];
  return { request, status: response.status(), body: await response.json() };
}

/** The operation GraphiQL saved in localStorage (key `graphiql:query`) 100 ms after the last edit. */
async function storedQuery(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (key && /(^|:)query$/.test(key)) return localStorage.getItem(key);
    }
    return null;
  });
}

/** Text of the Monaco editor inside `container`, read from its model. */
async function editorText(page: Page, container: string): Promise<string> {
  return page.evaluate((sel) => {
    const monaco = (
      globalThis as {
        __MONACO?: { editor: { getEditors(): Array<{ getContainerDomNode(): HTMLElement; getValue(): string }> } };
      }
    ).__MONACO;
    const el = document.querySelector(sel);
    if (!monaco || !el) return '';
    const editor = monaco.editor.getEditors().find((e) => el.contains(e.getContainerDomNode()));
    return editor?.getValue() ?? '';
  }, container);
}
