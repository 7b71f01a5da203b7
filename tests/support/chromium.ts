/**
 * Headless Chromium for browser tests: the Debian `chromium` package driven by
 * playwright-core (no Playwright-managed browser download).
 *
 *   apt-get install -y chromium
 *
 * Set CHROMIUM_PATH to use another binary. When the browser is missing the
 * tests skip locally but FAIL when process.env.CI is set.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

export interface ChromiumAvailability {
  /** Run the browser tests. */
  run: boolean;
  /** Why they are skipped (only set when `run` is false). */
  skipReason?: string;
}

/**
 * Whether browser tests can run. A missing browser only skips outside CI; in CI
 * `run` is true so that the launch fails loudly instead of silently skipping.
 */
export function chromiumAvailability(): ChromiumAvailability {
  if (existsSync(CHROMIUM_PATH)) return { run: true };
  if (process.env.CI) return { run: true };
  return {
    run: false,
    skipReason:
      `SKIPPED browser test: no Chromium at ${CHROMIUM_PATH}. ` +
      'Install it with `apt-get install -y chromium` (or set CHROMIUM_PATH). ' +
      'This test is mandatory when CI is set.',
  };
}

export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 60_000,
    ...options,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
  });
}
