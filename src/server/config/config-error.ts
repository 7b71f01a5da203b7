/** Thrown by loadConfig(); `issues` holds every problem found, one line each. */
export class ConfigError extends Error {
  readonly issues: string[];

  constructor(issues: string[], source?: string) {
    const where = source ? ` (${source})` : '';
    super(`Invalid facegraph configuration${where}:\n  - ${issues.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
