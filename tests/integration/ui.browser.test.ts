/**
 * The library browser at /ui in headless Chromium, on the real server with a LOCAL provider and real photos:
 * register by drag and drop and by the file input (multipart upload), see the thumbnails load, be told why an
 * image is refused, filter by a field, edit, delete after the dry run's plan, search with a probe photo, and see
 * a face another client registers appear live; at 1280 and at 400 px wide. Each step's screenshot is saved in
 * tests/artifacts/ui/. Every request the page makes stays on 127.0.0.1.
 *
 * Needs /usr/bin/chromium (apt-get install -y chromium). Skips when it is absent, unless CI is set.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { chromiumAvailability, launchChromium } from '../support/chromium';
import {
  FACE_A,
  FACE_B,
  faceFreePhoto,
  resizedCopy,
  samplePhoto,
  singleFacePhoto,
  THREE_FACE_SAMPLE,
} from '../support/face-photos';
import { execute, gql, startTestServer, type TestServer } from '../support/test-server';
import { CreateLibraryDocument, DeleteFacesDocument, RegisterFaceDocument } from '../generated/graphql';
import {
  card,
  dropFile,
  imageLoaded,
  recordConsoleErrors,
  recordRequests,
  requestsLeavingThisMachine,
  Screenshots,
} from '../support/ui-page';

const availability = chromiumAvailability();
if (!availability.run) console.warn(availability.skipReason);
const describeBrowser = availability.run ? describe : describe.skip;

const WIDTHS = [1280, 400] as const;

describeBrowser(`the library browser${availability.run ? '' : ` — ${availability.skipReason}`}`, () => {
  jest.setTimeout(180_000);

  let server: TestServer;
  let browser: Browser;
  const photos = {} as Record<'alice' | 'bob' | 'probe' | 'noFace' | 'group' | 'tiny', Buffer>;

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchChromium();
    photos.alice = await singleFacePhoto(FACE_A);
    photos.bob = await singleFacePhoto(FACE_B);
    photos.probe = await resizedCopy(photos.alice, 0.8, 80);
    photos.noFace = await faceFreePhoto(800, 600);
    photos.group = samplePhoto(THREE_FACE_SAMPLE);
    photos.tiny = await sharp(photos.alice).resize({ width: 24 }).jpeg().toBuffer(); // under images.minSide
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await server?.close();
  });

  describe.each(WIDTHS)('at %i px wide', (width) => {
    let context: BrowserContext;
    let page: Page;
    let libraryId: string;
    let shots: Screenshots;
    let requests: ReturnType<typeof recordRequests>;
    let consoleErrors: string[];
    const alice = `alice-${width}`;
    const bob = `bob-${width}`;
    const carol = `carol-${width}`;

    beforeAll(async () => {
      const created = await execute(server.url, CreateLibraryDocument, {
        input: {
          providerId: 'local',
          name: `browser-${width}`,
          fields: [
            { name: 'dept', type: 'STRING' },
            { name: 'level', type: 'INTEGER' },
          ],
        },
      });
      if (created.createLibrary.__typename !== 'CreateLibrarySuccess')
        throw new Error(JSON.stringify(created.createLibrary));
      libraryId = created.createLibrary.library.id;
      context = await browser.newContext({ viewport: { width, height: 900 } });
      requests = recordRequests(context);
      page = await context.newPage();
      page.on('websocket', (ws) => requests.urls.push(ws.url()));
      consoleErrors = recordConsoleErrors(page);
      shots = new Screenshots(page, String(width));
    });
    afterAll(async () => context?.close().catch(() => undefined));

    it('opens on the provider and, once chosen, the empty library', async () => {
      const response = await page.goto(`${server.origin}/ui`);
      expect(response?.status()).toBe(200);
      await page.waitForSelector(`#library option[value="${libraryId}"]`, { state: 'attached' });
      expect(await page.$eval('#provider', (s) => (s as HTMLSelectElement).value)).toBe('local');
      await page.selectOption('#library', libraryId);
      await page.getByText('No face yet: drop a photo to register one.').waitFor();
      await shots.take('empty-library');
    });

    it('registers a face dropped on the page, with its fields, and shows its thumbnail', async () => {
      await page.fill('#register-external-id', alice);
      await page.fill('#register-field-dept', 'sales');
      await page.fill('#register-field-level', '3');
      await dropFile(page, '[data-testid="register-drop"]', photos.alice, 'alice.jpg');
      await card(page, alice).waitFor();
      expect(await imageLoaded(page, `[data-face-id] img[alt="Face ${alice}"]`)).toBeGreaterThan(0);
      expect(await card(page, alice).locator('dl').innerText()).toMatch(/dept\s*sales[\s\S]*level\s*3/);
      await shots.take('registered-by-drop');
    });

    it('registers a face chosen with the file input (the keyboard way)', async () => {
      await page.fill('#register-external-id', bob);
      await page.fill('#register-field-dept', 'support');
      await page.fill('#register-field-level', '1');
      await page.locator('[data-testid="register-drop"] input[type="file"]').setInputFiles({
        name: 'bob.jpg',
        mimeType: 'image/jpeg',
        buffer: photos.bob,
      });
      await card(page, bob).waitFor();
      expect(await imageLoaded(page, `[data-face-id] img[alt="Face ${bob}"]`)).toBeGreaterThan(0);
    });

    it("shows the typed error's message when an image is refused", async () => {
      for (const [photo, reason] of [
        [photos.noFace, 'NO_FACE'],
        [photos.group, 'MULTIPLE_FACES'],
        [photos.tiny, 'TOO_SMALL'],
      ] as const) {
        // What the API says of the same bytes (refused, so nothing is registered).
        const direct = await execute(server.url, RegisterFaceDocument, {
          input: { libraryId, image: { base64: photo.toString('base64') } },
        });
        const refusal = direct.registerFace;
        if (refusal.__typename !== 'ImageRejectedError')
          throw new Error(`expected a refusal, got ${refusal.__typename}`);
        expect(refusal.reason).toBe(reason);

        await page.fill('#register-external-id', `refused-${reason}`);
        await dropFile(page, '[data-testid="register-drop"]', photo, `${reason}.jpg`);
        const shown = page.locator('[data-testid="register-error"]');
        await page.waitForFunction(
          (expected) => document.querySelector('[data-testid="register-error"]')?.textContent === expected,
          refusal.message,
        );
        expect(await shown.getAttribute('data-error')).toBe('ImageRejectedError');
        expect(await shown.getAttribute('role')).toBe('alert');
        await shots.take(`refused-${reason.toLowerCase()}`);
      }
      expect(await page.locator('[data-testid="faces"] .face-card').count()).toBe(2);
    });

    it('filters by a custom field', async () => {
      await page.fill('#filter-field-dept', 'sales');
      await page.getByRole('button', { name: 'Filter', exact: true }).click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="faces"] .face-card').length === 1);
      expect(await card(page, alice).count()).toBe(1);
      await shots.take('filtered-dept-sales');
      await page.getByRole('button', { name: 'Clear filter' }).click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="faces"] .face-card').length === 2);
    });

    it('edits fields and userData, and the server has them', async () => {
      await page.getByRole('button', { name: `Edit ${alice}` }).click();
      const dialog = page.getByTestId('edit-dialog');
      await dialog.waitFor();
      await page.fill('#edit-field-level', '4');
      await page.fill('#edit-user-data', 'badge 1234');
      await shots.take('editing');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'detached' });
      await card(page, alice).getByText('badge 1234').waitFor();
      const faceId = await card(page, alice).getAttribute('data-face-id');
      const stored = await gql(server.url, 'query($id: ID!) { face(id: $id) { fields userData } }', { id: faceId });
      expect(stored.data.face).toEqual({ fields: { dept: 'sales', level: 4 }, userData: 'badge 1234' });
    });

    it('shows a face another client registers, live', async () => {
      const other = await execute(server.url, RegisterFaceDocument, {
        input: {
          libraryId,
          image: { base64: photos.bob.toString('base64') },
          externalImageId: carol,
          fields: { dept: 'ops' },
        },
      });
      expect(other.registerFace.__typename).toBe('RegisterFaceSuccess');
      await card(page, carol).waitFor({ timeout: 15_000 });
      expect(await imageLoaded(page, `[data-face-id] img[alt="Face ${carol}"]`)).toBeGreaterThan(0);
      await page.getByTestId('status').getByText(`Face ${carol} registered by`).waitFor();
      await shots.take('live-registration');
    });

    it('searches with a probe photo and shows the match with its similarity', async () => {
      await dropFile(page, '[data-testid="search-drop"]', photos.probe, 'probe.jpg');
      const matches = page.getByTestId('matches');
      await matches.waitFor();
      const first = matches.locator('.face-card').first();
      expect(await first.locator('.face-title').innerText()).toBe(alice);
      const similarity = Number(/([\d.]+)%/.exec(await first.locator('.similarity').innerText())?.[1]);
      expect(similarity).toBeGreaterThan(60);
      expect(similarity).toBeLessThanOrEqual(100);
      expect(await imageLoaded(page, '[data-testid="matches"] .face-card img')).toBeGreaterThan(0);
      await shots.take('search-match');
    });

    it('labels every control, and works from the keyboard with a visible focus', async () => {
      const unlabelled = await page.$$eval('input, select, textarea, button', (controls) =>
        controls
          .filter((c) => {
            const labelled = (c as HTMLInputElement).labels?.length || c.getAttribute('aria-label');
            return c.tagName === 'BUTTON' ? !(c.textContent?.trim() || labelled) : !labelled;
          })
          .map((c) => c.outerHTML),
      );
      expect(unlabelled).toEqual([]);

      // Enter on a focused Edit button opens the dialog, Escape closes it, and focus goes back to the button.
      const edit = page.getByRole('button', { name: `Edit ${alice}` });
      await edit.focus();
      await page.keyboard.press('Enter');
      await page.getByTestId('edit-dialog').waitFor();
      await page.keyboard.press('Escape');
      await page.getByTestId('edit-dialog').waitFor({ state: 'detached' });
      expect(await edit.evaluate((b) => b === document.activeElement)).toBe(true);

      // Tab reaches the file input of the register panel, drawn with a focus ring.
      await page.focus('#register-user-data');
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        return { type: (el as HTMLInputElement).type, outline: getComputedStyle(el).outlineStyle };
      });
      expect(focused).toEqual({ type: 'file', outline: 'solid' });
    });

    it('deletes a face after showing the dry run, and only when confirmed', async () => {
      const bobId = await card(page, bob).getAttribute('data-face-id');
      await page.getByRole('button', { name: `Delete ${bob}` }).click();
      const dialog = page.getByTestId('delete-dialog');
      await dialog.waitFor();
      // The plan the API gives for the same dry run.
      const dryRun = await execute(server.url, DeleteFacesDocument, {
        libraryId,
        filter: { faceIds: [bobId!] },
        dryRun: true,
      });
      if (dryRun.deleteFaces.__typename !== 'DeleteFacesSuccess') throw new Error(dryRun.deleteFaces.__typename);
      const { strategy, vendorCalls } = dryRun.deleteFaces.plan;
      const how = `${vendorCalls} vendor call${vendorCalls === 1 ? '' : 's'}`;
      const kind = strategy === 'NATIVE' ? 'native' : 'emulated: face by face';
      expect(await dialog.getByTestId('delete-plan').innerText()).toBe(
        `This deletes 1 face with ${how} (${kind}). It cannot be undone.`,
      );
      await shots.take('delete-preview');
      // The dry run deleted nothing.
      expect((await gql(server.url, 'query($id: ID!) { face(id: $id) { id } }', { id: bobId })).data.face).toEqual({
        id: bobId,
      });

      await dialog.getByRole('button', { name: 'Delete 1 face' }).click();
      await dialog.waitFor({ state: 'detached' });
      await card(page, bob).waitFor({ state: 'detached' });
      expect((await gql(server.url, 'query($id: ID!) { face(id: $id) { id } }', { id: bobId })).data.face).toBeNull();
      await shots.take('deleted');
    });

    it('deletes every face matching the filter, after the plan', async () => {
      await page.fill('#filter-field-dept', 'ops');
      await page.getByRole('button', { name: 'Filter', exact: true }).click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="faces"] .face-card').length === 1);
      await page.getByRole('button', { name: 'Delete matching…' }).click();
      const dialog = page.getByTestId('delete-dialog');
      await dialog.waitFor();
      expect(await dialog.getByRole('heading').innerText()).toBe('Delete the faces matching the filter?');
      expect(await dialog.getByTestId('delete-plan').innerText()).toMatch(/^This deletes 1 face with /);
      await dialog.getByRole('button', { name: 'Delete 1 face' }).click();
      await card(page, carol).waitFor({ state: 'detached' });
      const left = await gql(
        server.url,
        'query($id: ID!) { library(id: $id) { faces { edges { node { externalImageId } } } } }',
        {
          id: libraryId,
        },
      );
      expect(
        left.data.library.faces.edges.map((e: { node: { externalImageId: string } }) => e.node.externalImageId),
      ).toEqual([alice]);
      await page.getByRole('button', { name: 'Clear filter' }).click();
      await card(page, alice).waitFor();
    });

    it(`fits ${width} px without scrolling sideways`, async () => {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
    });

    it('made requests only to 127.0.0.1, none failed, no console error', () => {
      expect(requests.urls.some((u) => new URL(u).pathname === '/graphql')).toBe(true);
      const sockets = requests.urls.filter((u) => u.startsWith('ws:'));
      expect(sockets.length).toBeGreaterThan(0);
      expect(new Set(sockets)).toEqual(new Set([`${server.origin.replace('http', 'ws')}/graphql`]));
      expect(requestsLeavingThisMachine(requests.urls)).toEqual([]);
      expect(requests.urls.filter((u) => new URL(u).hostname !== '127.0.0.1')).toEqual([]);
      expect(requests.failed).toEqual([]);
      expect(consoleErrors).toEqual([]);
    });
  });

  it('pages through a library of more faces than a page holds', async () => {
    const created = await execute(server.url, CreateLibraryDocument, { input: { providerId: 'local', name: 'pages' } });
    if (created.createLibrary.__typename !== 'CreateLibrarySuccess') throw new Error(created.createLibrary.__typename);
    const libraryId = created.createLibrary.library.id;
    const names = Array.from({ length: 26 }, (_, i) => `face-${String(i + 1).padStart(2, '0')}`);
    for (const name of names) {
      const r = await execute(server.url, RegisterFaceDocument, {
        input: { libraryId, image: { base64: photos.bob.toString('base64') }, externalImageId: name },
      });
      expect(r.registerFace.__typename).toBe('RegisterFaceSuccess');
    }
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      await page.goto(`${server.origin}/ui`);
      await page.waitForSelector(`#library option[value="${libraryId}"]`, { state: 'attached' });
      await page.selectOption('#library', libraryId);
      const titles = () => page.locator('[data-testid="faces"] .face-title').allInnerTexts();
      await card(page, 'face-24').waitFor();
      expect(await titles()).toEqual(names.slice(0, 24));
      await page.getByRole('button', { name: 'Next page' }).click();
      await card(page, 'face-26').waitFor();
      expect(await titles()).toEqual(names.slice(24));
      expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
      await new Screenshots(page, 'pages').take('second-page');
      await page.getByRole('button', { name: 'Previous page' }).click();
      await card(page, 'face-01').waitFor();
      expect(await titles()).toEqual(names.slice(0, 24));
    } finally {
      await context.close();
    }
  });
});
