/** Running an emulator on its own (the main.ts files): banner, signals, start failure. */

/** Prints `title` and `rows` framed by lines of '='. */
export function printBanner(title: string, rows: string[]): void {
  const line = '='.repeat(78);
  process.stdout.write([line, title, line, ...rows, line, ''].join('\n'));
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
