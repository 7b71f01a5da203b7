import { isIP } from 'node:net';
import type { AuthConfig } from '../config';
import type { AuthSettings } from './authenticator';

/** The start is refused: the message says how to go on. */
export class InsecureStartRefused extends Error {}

/** 127.0.0.0/8, ::1 and localhost: only this machine can reach a server listening there. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
}

/**
 * How requests are let in, decided at start: `required` once any credential exists (in the file, as a JWT issuer,
 * or as a key created earlier in the ledger); `none` only when the file says so; otherwise local development,
 * which is allowed on a loopback address alone.
 */
export function decideAuthSettings(auth: AuthConfig | undefined, host: string, ledgerHasKeys: boolean): AuthSettings {
  const keys = (auth?.keys ?? []).map((k) => ({
    id: k.id,
    sha256: k.sha256.toLowerCase(),
    scopes: k.scopes,
    providers: k.providers ?? null,
    expiresAt: null,
    revokedAt: null,
  }));
  const jwt = auth?.jwt ? { ...auth.jwt } : null;
  const routerSecret = auth?.routerSecret ?? null;
  if (auth?.mode === 'none') return { mode: 'none', keys, jwt, routerSecret };
  if (keys.length > 0 || jwt !== null || ledgerHasKeys) return { mode: 'required', keys, jwt, routerSecret };
  if (!isLoopbackHost(host)) {
    throw new InsecureStartRefused(
      `server.host is ${host}, reachable from other machines, and no credential is configured, so anyone could read ` +
        'and erase biometric data. Create a key (npm run keys -- create --name admin --scopes admin), ' +
        'add auth.keys or auth.jwt to the config, or set auth.mode: none if a router in front authenticates ' +
        'every request.',
    );
  }
  return { mode: 'local-development', keys, jwt, routerSecret };
}

/**
 * The same decision, made before the server takes its address: only a non-loopback host without credentials in
 * the file needs the ledger (keys made by `npm run keys`), so nothing is opened on the usual paths.
 */
export async function refuseInsecureStart(
  auth: AuthConfig | undefined,
  host: string,
  ledgerHasKeys: () => Promise<boolean>,
): Promise<void> {
  const fileHasCredentials = auth?.mode === 'none' || (auth?.keys.length ?? 0) > 0 || auth?.jwt !== undefined;
  if (isLoopbackHost(host) || fileHasCredentials) return;
  decideAuthSettings(auth, host, await ledgerHasKeys());
}
