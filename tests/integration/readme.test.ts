import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/server/config';
import { startTestServer, type TestServer } from '../support/test-server';

// The README's examples, run as a person would paste them, in order, on a fresh server:
// - a `graphql` block is sent as it is (as from GraphiQL); a `sh` block runs in one bash session kept across
//   blocks (as in one terminal), in a scratch folder that sees the project's node_modules, with the README's
//   `localhost:4000` pointed at the test server;
// - a `json` block right after either is what it must print (ids made of random UUIDs match any such id,
//   fractions match to 2 decimals);
// - a `yaml` block is a config file: the real loader must accept it (every ${VAR} set);
// - a block right after `<!-- readme-test: skip ... -->` is not run (the comment says why), nor the README's first
//   block (`npm start` / `npm test`: a second server, and this very suite).

const README = path.resolve(__dirname, '../../README.md');
const REPO = path.resolve(__dirname, '../..');

interface Block {
  lang: string;
  text: string;
  line: number;
  skipped: boolean;
  expected: string | null;
}

function readmeBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  let lastNonEmpty = '';
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) {
      if (lines[i].trim() !== '') lastNonEmpty = lines[i].trim();
      continue;
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    const block = { lang: open[1], text: body.join('\n'), line: start + 1, skipped: false, expected: null };
    block.skipped = blocks.length === 0 || /^<!-- readme-test: skip\b/.test(lastNonEmpty);
    const previous = blocks[blocks.length - 1];
    // Output belongs to the block just before it, with nothing but blank lines or prose between.
    if (block.lang === 'json' && previous && ['graphql', 'sh'].includes(previous.lang) && previous.expected === null) {
      previous.expected = block.text;
    } else {
      blocks.push(block);
    }
    lastNonEmpty = '```';
  }
  return blocks;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** Replaces what differs from run to run: random UUIDs (also inside opaque ids), and digits past the 2nd decimal. */
function normalize(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? value : Math.round(value * 100) / 100;
  if (typeof value === 'string') {
    if (/^[A-Za-z0-9_-]{16,}$/.test(value)) {
      const decoded = Buffer.from(value, 'base64url').toString('utf8');
      if (new RegExp(UUID.source).test(decoded)) return `id:${decoded.replace(UUID, '<uuid>')}`;
    }
    return value.replace(UUID, '<uuid>');
  }
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

/** Every JSON document in `text`, one per line or spread over lines (as curl prints them one after another). */
function jsonDocuments(text: string): unknown[] {
  const docs: unknown[] = [];
  let rest = text.trim();
  while (rest.length > 0) {
    let parsed = false;
    for (let end = rest.indexOf('\n') === -1 ? rest.length : rest.indexOf('\n'); end <= rest.length; end++) {
      if (end < rest.length && rest[end] !== '\n') continue;
      try {
        docs.push(JSON.parse(rest.slice(0, end)));
        rest = rest.slice(end).trim();
        parsed = true;
        break;
      } catch {
        // not a whole document yet
      }
    }
    if (!parsed) throw new Error(`not JSON: ${rest.slice(0, 300)}`);
  }
  return docs;
}

/** One bash process for all `sh` blocks, as one terminal: functions and variables carry over. */
class Terminal {
  private readonly bash: ChildProcessWithoutNullStreams;
  private output = '';
  private errors = '';
  private waiter: (() => void) | null = null;
  private count = 0;

  constructor(cwd: string) {
    this.bash = spawn('bash', ['--noprofile', '--norc'], { cwd, env: { ...process.env, PS1: '' } });
    this.bash.stdout.on('data', (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
      this.waiter?.();
    });
    this.bash.stderr.on('data', (chunk: Buffer) => {
      this.errors += chunk.toString('utf8');
    });
  }

  async run(script: string): Promise<{ stdout: string; stderr: string; status: number }> {
    const marker = `__readme_block_${++this.count}__`;
    this.output = '';
    this.errors = '';
    this.bash.stdin.write(`${script}\necho; echo "${marker} $?"\n`);
    for (;;) {
      const at = this.output.indexOf(marker);
      if (at !== -1 && this.output.indexOf('\n', at) !== -1) {
        const status = Number(
          this.output
            .slice(at + marker.length)
            .trim()
            .split('\n')[0],
        );
        return { stdout: this.output.slice(0, at), stderr: this.errors, status };
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  close(): void {
    this.bash.stdin.end();
    this.bash.kill();
  }
}

const blocks = readmeBlocks(fs.readFileSync(README, 'utf8'));
const runnable = blocks.filter((b) => !b.skipped && ['graphql', 'sh'].includes(b.lang));

let server: TestServer;
let terminal: Terminal;
let scratch: string;

beforeAll(async () => {
  server = await startTestServer();
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'facegraph-readme-'));
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(scratch, 'node_modules'), 'dir');
  terminal = new Terminal(scratch);
}, 60_000);

afterAll(async () => {
  terminal?.close();
  await server?.close();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

test('the README has examples with their outputs to check', () => {
  expect(runnable.filter((b) => b.expected !== null).length).toBeGreaterThanOrEqual(8);
});

// In order: each example builds on the ones before it, as for a reader.
test.each(runnable.map((b) => [`${b.lang} block at README.md:${b.line}`, b] as const))(
  '%s runs as pasted and prints what the README shows',
  async (_name, block) => {
    let printed: string;
    if (block.lang === 'graphql') {
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: block.text }),
      });
      printed = await res.text();
    } else {
      const script = block.text.replace(/localhost:4000/g, server.origin.replace('http://', ''));
      const result = await terminal.run(script);
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
      printed = result.stdout;
    }
    if (block.expected === null) {
      for (const doc of jsonDocuments(printed || '{}')) expect(doc).not.toHaveProperty('errors');
      return;
    }
    expect(jsonDocuments(printed).map(normalize)).toEqual(jsonDocuments(block.expected).map(normalize));
  },
  120_000,
);

test.each(blocks.filter((b) => b.lang === 'yaml' && !b.skipped).map((b) => [`README.md:${b.line}`, b] as const))(
  'the yaml config at %s loads with the real config loader',
  (_name, block) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegraph-readme-config-'));
    try {
      const file = path.join(dir, 'config.yaml');
      fs.writeFileSync(file, block.text);
      const variables = Object.fromEntries([...block.text.matchAll(/\$\{(\w+)/g)].map((m) => [m[1], 'set-by-test']));
      expect(() => loadConfig({ ...variables, FACEGRAPH_CONFIG: file }, dir)).not.toThrow();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
