import { useCallback, useEffect, useState } from 'react';
import { request } from './api/graphql-client';
import { useApi } from './api/use-api';
import { ApiKeyDialog } from './components/ApiKeyDialog';
import { LibraryView } from './LibraryView';
import { UiLibrariesDocument, UiProvidersDocument, type UiLibrariesQuery } from './generated/graphql';
import type { Library, Provider } from './model';

/** Choose a provider and a library; the library's faces are in LibraryView. */
export function App() {
  const [status, setStatus] = useState('Loading providers…');
  const [failure, setFailure] = useState<string | null>(null);
  const announce = useCallback((message: string) => {
    setFailure(null);
    setStatus(message);
  }, []);
  const api = useApi(setFailure);
  const [providers, setProviders] = useState<Provider[]>([]);
  const [providerId, setProviderId] = useState('');
  const [libraries, setLibraries] = useState<Library[]>([]);
  const [libraryId, setLibraryId] = useState('');

  useEffect(() => {
    void api.run(async () => {
      const data = await request(UiProvidersDocument, {});
      setProviders(data.providers);
      setProviderId((current) => current || data.providers[0]?.id || '');
      announce(`${data.providers.length} provider${data.providers.length === 1 ? '' : 's'}.`);
    });
  }, [api.run, announce, api.keyVersion]);

  useEffect(() => {
    if (!providerId) return;
    setLibraries([]);
    setLibraryId('');
    void api.run(async () => {
      const found: Library[] = [];
      let after: string | null = null;
      do {
        const page: UiLibrariesQuery['libraries'] = (await request(UiLibrariesDocument, { providerId, after }))
          .libraries;
        found.push(...page.edges.map((e) => e.node));
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      } while (after);
      setLibraries(found);
      setLibraryId(found[0]?.id ?? '');
      announce(
        found.length
          ? `${found.length} librar${found.length === 1 ? 'y' : 'ies'} at ${providerId}.`
          : `No library at ${providerId}.`,
      );
    });
  }, [providerId, api.run, announce]);

  const provider = providers.find((p) => p.id === providerId);
  const library = libraries.find((l) => l.id === libraryId);
  return (
    <>
      <a className="skip-link" href="#faces">
        Skip to the faces
      </a>
      <header className="top">
        <h1>facegraph · Library browser</h1>
        <div className="pickers">
          <div className="field">
            <label htmlFor="provider">Provider</label>
            <select id="provider" value={providerId} onChange={(e) => setProviderId(e.target.value)}>
              {providers.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.id} ({p.kind}
                  {p.region ? `, ${p.region}` : ''})
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="library">Library</label>
            <select
              id="library"
              value={libraryId}
              onChange={(e) => setLibraryId(e.target.value)}
              disabled={!libraries.length}
            >
              {libraries.map((l) => (
                <option key={l.id} value={l.id}>
                  {l.displayName || l.name}
                </option>
              ))}
            </select>
          </div>
          <button type="button" className="key-button" onClick={api.askForKey}>
            API key…
          </button>
        </div>
      </header>
      <div className="status-bar">
        <p role="status" aria-live="polite" data-testid="status">
          {status}
        </p>
        <p role="alert" className="error" data-testid="failure">
          {failure}
        </p>
      </div>
      {provider && library && (
        <LibraryView
          key={`${library.id}:${api.keyVersion}`}
          provider={provider}
          library={library}
          api={api}
          announce={announce}
          fail={setFailure}
        />
      )}
      {api.askingForKey !== null && <ApiKeyDialog reason={api.askingForKey} onKey={api.giveKey} onClose={api.cancel} />}
    </>
  );
}
