import type { Server } from 'node:http';

/** The server could not listen where the configuration says: a configuration error, in one line. */
export class ListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenError';
  }
}

const REASONS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use (EADDRINUSE); set PORT or server.port to a free port',
  EACCES: 'permission denied (EACCES); ports below 1024 need privileges, set PORT or server.port',
  EADDRNOTAVAIL: 'the address is not one of this machine (EADDRNOTAVAIL); set HOST or server.host',
  ENOTFOUND: 'the host name does not resolve (ENOTFOUND); set HOST or server.host to an address of this machine',
  EAI_AGAIN: 'the host name does not resolve now (EAI_AGAIN); set HOST or server.host to an address',
};

/** Listens on host:port; rejects with a ListenError (one line, no stack) when that cannot be. */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const reason = (error.code && REASONS[error.code]) ?? `${error.code ?? error.message}`;
      reject(new ListenError(`cannot listen on ${host}:${port}: ${reason}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
