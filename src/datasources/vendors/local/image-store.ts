import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { LocalImageStore } from '../../ledger/ledger-store';

// Content-addressed image files: <root>/<first two hex digits>/<sha256>. Writes are atomic
// (temp file + rename), so a crash never leaves half an image under a digest's name.
export class ImageStore implements LocalImageStore {
  constructor(private readonly root: string) {}

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('not a sha256 digest');
    return path.join(this.root, sha256.slice(0, 2), sha256);
  }

  async put(sha256: string, bytes: Buffer): Promise<void> {
    const target = this.pathOf(sha256);
    if (await this.has(sha256)) return;
    await fs.mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${randomUUID()}.tmp`;
    await fs.writeFile(temp, bytes, { flag: 'wx' });
    await fs.rename(temp, target);
  }

  async has(sha256: string): Promise<boolean> {
    try {
      await fs.access(this.pathOf(sha256));
      return true;
    } catch {
      return false;
    }
  }

  async get(sha256: string): Promise<Buffer | null> {
    try {
      return await fs.readFile(this.pathOf(sha256));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async remove(sha256: string): Promise<void> {
    await fs.rm(this.pathOf(sha256), { force: true });
  }

  /** The digests of every stored image. Temp files a crash left mid-write are removed, as no image is in them. */
  async list(): Promise<string[]> {
    const digests: string[] = [];
    for (const prefix of await entriesOf(this.root)) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      const dir = path.join(this.root, prefix);
      for (const name of await entriesOf(dir)) {
        if (/^[0-9a-f]{64}$/.test(name) && name.startsWith(prefix)) digests.push(name);
        else if (name.endsWith('.tmp')) await fs.rm(path.join(dir, name), { force: true });
      }
    }
    return digests;
  }
}

async function entriesOf(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}
