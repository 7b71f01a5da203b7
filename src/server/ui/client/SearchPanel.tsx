import { useState } from 'react';
import { request } from './api/graphql-client';
import type { useApi } from './api/use-api';
import { DropZone } from './components/DropZone';
import { FaceCardView } from './components/FaceCardView';
import { UiSearchFacesDocument, type UiSearchFacesQuery } from './generated/graphql';
import type { Library } from './model';

type Match = Extract<UiSearchFacesQuery['searchFaces'], { __typename: 'SearchFacesSuccess' }>['matches'][number];

/** Search the library with a probe photo: the closest faces and their similarity. */
export function SearchPanel(props: {
  library: Library;
  api: ReturnType<typeof useApi>;
  announce: (message: string) => void;
}) {
  const { library, api, announce } = props;
  const [threshold, setThreshold] = useState('0.6');
  const [matches, setMatches] = useState<Match[] | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const search = (file: File) => {
    const min = Number(threshold);
    if (!(min >= 0 && min <= 1)) return setRefusal('The threshold is a similarity between 0 and 1.');
    setRefusal(null);
    setBusy(true);
    announce(`Searching with ${file.name}…`);
    void api
      .run(async () => {
        const variables = { libraryId: library.id, image: { upload: file }, topN: 5, threshold: min };
        const result = (await request(UiSearchFacesDocument, variables)).searchFaces;
        if (result.__typename === 'SearchFacesSuccess') {
          setMatches(result.matches);
          announce(`${result.matches.length} match${result.matches.length === 1 ? '' : 'es'} for ${file.name}.`);
        } else {
          setMatches(null);
          setRefusal(result.message);
          announce(`The search with ${file.name} failed.`);
        }
      })
      .finally(() => setBusy(false));
  };

  return (
    <section className="panel" aria-labelledby="search-heading">
      <h2 id="search-heading">Search by photo</h2>
      <div className="field">
        <label htmlFor="search-threshold">Lowest similarity (0 to 1)</label>
        <input
          id="search-threshold"
          inputMode="decimal"
          value={threshold}
          onChange={(e) => setThreshold(e.target.value)}
        />
      </div>
      <DropZone
        testId="search-drop"
        label="Choose a probe photo"
        hint="Drop a probe photo here"
        disabled={busy}
        onFile={search}
      />
      {refusal && (
        <p className="error" role="alert" data-testid="search-error">
          {refusal}
        </p>
      )}
      {matches && (
        <>
          <h3>Matches</h3>
          {matches.length === 0 ? (
            <p>No face above the threshold.</p>
          ) : (
            <ul className="face-grid matches" data-testid="matches">
              {matches.map((m) => (
                <FaceCardView key={m.face.id} face={m.face} similarity={m.similarity} />
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
