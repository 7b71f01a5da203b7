import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

// Driving the library browser (/ui) as a person does, for tests/integration/ui*.browser.test.ts.

/** Screenshots of each step: a test artifact, gitignored. */
export const UI_ARTIFACTS = path.resolve(__dirname, '../artifacts/ui');

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Every URL the pages of a context ask for, and the ones that failed (not counting navigations the test aborted). */
export function recordRequests(context: BrowserContext): {
  urls: string[];
  failed: string[];
  authorizations: (string | undefined)[];
} {
  const record = { urls: [] as string[], failed: [] as string[], authorizations: [] as (string | undefined)[] };
  context.on('request', (r) => {
    record.urls.push(r.url());
    if (new URL(r.url()).pathname === '/graphql') record.authorizations.push(r.headers()['authorization']);
  });
  context.on('requestfailed', (r) => {
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') record.failed.push(`${r.url()}: ${r.failure()?.errorText}`);
  });
  return record;
}

/** URLs that are not on this machine (data: and blob: URLs stay in the page). */
export function requestsLeavingThisMachine(urls: readonly string[]): string[] {
  return urls.filter((u) => {
    const url = new URL(u);
    if (url.protocol === 'data:' || url.protocol === 'blob:') return false;
    return !(['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol) && LOCAL_HOSTS.has(url.hostname));
  });
}

/** Console errors and uncaught exceptions of a page. */
export function recordConsoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

/** Drops a file on the element, as a drag from the desktop does (a DataTransfer with one File). */
export async function dropFile(page: Page, selector: string, bytes: Buffer, name: string): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    ({ base64, fileName }) => {
      const raw = atob(base64);
      const data = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) data[i] = raw.charCodeAt(i);
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], fileName, { type: 'image/jpeg' }));
      return transfer;
    },
    { base64: bytes.toString('base64'), fileName: name },
  );
  await page.dispatchEvent(selector, 'dragover', { dataTransfer });
  await page.dispatchEvent(selector, 'drop', { dataTransfer });
}

export class Screenshots {
  private step = 0;
  constructor(
    private readonly page: Page,
    private readonly prefix: string,
  ) {
    fs.mkdirSync(UI_ARTIFACTS, { recursive: true });
  }
  async take(name: string): Promise<string> {
    this.step += 1;
    const file = path.join(UI_ARTIFACTS, `${this.prefix}-${String(this.step).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file, fullPage: true });
    return file;
  }
}

/** The card of the face with this external image id. */
export function card(page: Page, externalImageId: string) {
  return page.locator('[data-testid="faces"] .face-card', {
    has: page.locator('.face-title', { hasText: new RegExp(`^${externalImageId}$`) }),
  });
}

/** Whether the image at `selector` is loaded and decoded (a broken image has naturalWidth 0). */
export async function imageLoaded(page: Page, selector: string): Promise<number> {
  await page.waitForFunction(
    (sel) => {
      const img = document.querySelector<HTMLImageElement>(sel);
      return !!img && img.complete;
    },
    selector,
    { timeout: 15_000 },
  );
  return page.$eval(selector, (img) => (img as HTMLImageElement).naturalWidth);
}
