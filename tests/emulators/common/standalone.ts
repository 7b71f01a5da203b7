/** Running an emulator on its own (the main.ts files): banner, config block, signals, start failure. */
import { stringify } from 'yaml';

/** A facegraph provider entry, as its config file spells it. */
export type ProviderEntry = Record<string, unknown> & { id: string; kind: string };

/** A complete config file holding just this provider: paste it, or its entry, into the file FACEGRAPH_CONFIG names. */
export function providerBlock(provider: ProviderEntry): string {
  return stringify({ providers: [provider] });
}

/** Prints `title` and `rows` framed by lines of '=', then the provider's config block when given. */
export function printBanner(title: string, rows: string[], provider?: ProviderEntry): void {
  const line = '='.repeat(78);
  const heading = ' facegraph config (a file named by FACEGRAPH_CONFIG; or add the entry under your providers:)';
  const config = provider ? [heading, '', providerBlock(provider)] : [];
  process.stdout.write([line, title, line, ...rows, line, ...config, ''].join('\n'));
}

/** Starts the emulator; it closes on SIGINT/SIGTERM, and a start failure exits with status 1. */
export function runStandalone(name: string, start: () => Promise<{ close(): Promise<void> }>): void {
  start()
    .then((emulator) => {
      const stop = (): void => {
        void emulator.close().then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    })
    .catch((e: unknown) => {
      process.stderr.write(`${name} emulator failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    });
}
