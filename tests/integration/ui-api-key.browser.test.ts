/**
 * The library browser on a server that needs a credential: it asks for an API key when the server answers
 * UNAUTHENTICATED, keeps it in sessionStorage for the tab, sends it as a Bearer token over HTTP and in the
 * WebSocket's connection_init. Needs /usr/bin/chromium (skips without it, unless CI is set).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { newApiKeySecret, sha256Hex } from '../../src/domain/api-key-secret';
import { libraryId as libraryGlobalId } from '../../src/domain/global-id';
import { chromiumAvailability, launchChromium } from '../support/chromium';
import { FACE_A, singleFacePhoto } from '../support/face-photos';
import { startTestServer, type TestServer } from '../support/test-server';
import { card, recordRequests, Screenshots } from '../support/ui-page';

const availability = chromiumAvailability();
if (!availability.run) console.warn(availability.skipReason);
const describeBrowser = availability.run ? describe : describe.skip;

describeBrowser(
  `the library browser on a server that needs an API key${availability.run ? '' : ` — ${availability.skipReason}`}`,
  () => {
    jest.setTimeout(120_000);
    let browser: Browser;
    let alice: Buffer;
    const secret = newApiKeySecret();
    let keyed: TestServer;
    let libraryId: string;
    let context: BrowserContext;
    let page: Page;
    let requests: ReturnType<typeof recordRequests>;

    beforeAll(async () => {
      browser = await launchChromium();
      alice = await singleFacePhoto(FACE_A);
      keyed = await startTestServer({
        configure: (config) => {
          config.auth = { keys: [{ id: 'browser', sha256: sha256Hex(secret), scopes: ['read', 'write', 'search'] }] };
        },
      });
      const { services } = keyed.facegraph;
      const library = await services.libraries.createLibrary({ providerId: 'local', name: 'keyed' });
      libraryId = libraryGlobalId(library.providerId, library.name);
      context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      requests = recordRequests(context);
      page = await context.newPage();
    });
    afterAll(async () => {
      await context?.close().catch(() => undefined);
      await browser?.close().catch(() => undefined);
      await keyed?.close();
    });

    it('asks for the key when the server answers UNAUTHENTICATED, keeps it for the tab, and sends it', async () => {
      await page.goto(`${keyed.origin}/ui`);
      const dialog = page.getByTestId('api-key-dialog');
      await dialog.waitFor();
      expect(requests.authorizations).toEqual([undefined]);
      await new Screenshots(page, 'api-key').take('asked');

      await page.getByLabel(/^API key \(sent as/).fill(secret);
      await dialog.getByRole('button', { name: 'Use this key' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.waitForSelector(`#library option[value="${libraryId}"]`, { state: 'attached' });
      expect(requests.authorizations.slice(1).every((a) => a === `Bearer ${secret}`)).toBe(true);
      expect(requests.authorizations.length).toBeGreaterThan(1);
      expect(await page.evaluate(() => sessionStorage.getItem('facegraph.apiKey'))).toBe(secret);
      expect(await page.evaluate(() => localStorage.length)).toBe(0);

      // A reload in the same tab does not ask again.
      const before = requests.authorizations.length;
      await page.reload();
      await page.waitForSelector(`#library option[value="${libraryId}"]`, { state: 'attached' });
      expect(await dialog.count()).toBe(0);
      expect(requests.authorizations.slice(before).every((a) => a === `Bearer ${secret}`)).toBe(true);
    });

    it('follows faceEvents with the key sent in connection_init', async () => {
      await page.getByText('No face yet: drop a photo to register one.').waitFor();
      const registered = await fetch(keyed.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
        body: JSON.stringify({
          query: 'mutation($input: RegisterFaceInput!) { registerFace(input: $input) { __typename } }',
          variables: {
            input: { libraryId, image: { base64: alice.toString('base64') }, externalImageId: 'keyed' },
          },
        }),
      });
      expect(await registered.json()).toEqual({ data: { registerFace: { __typename: 'RegisterFaceSuccess' } } });
      await card(page, 'keyed').waitFor({ timeout: 15_000 });
      await page.getByTestId('status').getByText('Face keyed registered by browser.').waitFor();
    });
  },
);
