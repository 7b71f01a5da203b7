import { openLedger } from '../src/datasources/ledger';
import { ConfigError, loadConfig } from '../src/server/config';
import { ApiKeyService } from '../src/services/api-key.service';
import { isFaceGraphError } from '../src/domain/errors';

// npm run keys -- create --name admin --scopes admin [--providers local] [--expires 2027-01-01]
// npm run keys -- list
// npm run keys -- revoke <key id>
// The first admin key of a fresh ledger has to come from here: nobody can call createApiKey before one exists.

const USAGE = `usage:
  npm run keys -- create --name <name> --scopes <read,search,write,admin> [--providers <id,...>] [--expires <ISO date>]
  npm run keys -- list
  npm run keys -- revoke <key id>`;

function options(args: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const flag = /^--([a-z]+)$/.exec(args[i]);
    if (!flag || i + 1 >= args.length) throw new UsageError(`unexpected argument '${args[i]}'`);
    out.set(flag[1], args[++i]);
  }
  return out;
}

class UsageError extends Error {}

const list = (text: string | undefined) =>
  text === undefined
    ? undefined
    : text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const config = loadConfig();
  const ledger = await openLedger(config.ledger.url);
  try {
    const keys = new ApiKeyService(
      ledger,
      config.providers.map((p) => p.id),
    );
    if (command === 'create') {
      const opts = options(rest);
      for (const name of opts.keys()) {
        if (!['name', 'scopes', 'providers', 'expires'].includes(name))
          throw new UsageError(`unknown option --${name}`);
      }
      if (!opts.has('name') || !opts.has('scopes')) throw new UsageError('create needs --name and --scopes');
      const expires = opts.get('expires');
      const expiresAt = expires === undefined ? null : new Date(expires);
      if (expiresAt && Number.isNaN(expiresAt.getTime())) throw new UsageError(`--expires '${expires}' is not a date`);
      const { apiKey, secret } = await keys.create({
        name: opts.get('name')!,
        scopes: list(opts.get('scopes')) ?? [],
        providers: list(opts.get('providers')) ?? null,
        expiresAt,
      });
      process.stderr.write(
        `Created API key ${apiKey.id} (${apiKey.name}; scopes ${apiKey.scopes.join(', ')}` +
          `${apiKey.providers ? `; providers ${apiKey.providers.join(', ')}` : ''}). ` +
          'Its secret is shown this once; send it as Authorization: Bearer <secret>:\n',
      );
      process.stdout.write(`${secret}\n`);
      return 0;
    }
    if (command === 'list' && rest.length === 0) {
      for (let before: number | undefined, more = true; more;) {
        const page = await ledger.access.listApiKeys({ first: 100, beforeRowId: before, withTotal: false });
        for (const k of page.items) {
          const state = k.revokedAt
            ? `revoked ${k.revokedAt.toISOString()}`
            : k.expiresAt
              ? `expires ${k.expiresAt.toISOString()}`
              : 'active';
          process.stdout.write(
            `${k.id}\t${k.name}\t${k.scopes.join(',')}\t${k.providers?.join(',') ?? '*'}\t${state}\n`,
          );
        }
        more = page.hasNextPage;
        before = page.items[page.items.length - 1]?.rowId;
      }
      return 0;
    }
    if (command === 'revoke' && rest.length === 1) {
      const revoked = await ledger.access.revokeApiKey(rest[0], new Date());
      if (!revoked) {
        process.stderr.write(`facegraph keys: there is no API key '${rest[0]}' (npm run keys -- list shows them)\n`);
        return 1;
      }
      process.stdout.write(`Revoked ${revoked.id} (${revoked.name}).\n`);
      return 0;
    }
    throw new UsageError(command ? `unknown command '${command}'` : 'no command');
  } finally {
    await ledger.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) process.stderr.write(`facegraph keys: ${e.message}\n${USAGE}\n`);
    else if (e instanceof ConfigError)
      process.stderr.write(`facegraph keys: the configuration is not valid:\n${e.message}\n`);
    else if (isFaceGraphError(e)) process.stderr.write(`facegraph keys: ${e.detail.message}\n`);
    else process.stderr.write(`facegraph keys failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(e instanceof ConfigError ? 78 : 2);
  },
);
