import { useCallback, useEffect, useRef, useState } from 'react';
import { request } from './api/graphql-client';
import { followFaceEvents, type FaceEvent } from './api/live';
import type { useApi } from './api/use-api';
import { DeleteDialog, type DeletePreview } from './components/DeleteDialog';
import { EditDialog, type FaceChanges } from './components/EditDialog';
import { FaceCardView } from './components/FaceCardView';
import { FieldInputs } from './components/FieldInputs';
import { UiDeleteFacesDocument, UiFacesDocument, UiUpdateFaceDocument, type FaceFilter } from './generated/graphql';
import {
  faceLabel,
  fieldValues,
  matchesFilter,
  type Face,
  type FieldTexts,
  type Library,
  type Provider,
} from './model';
import { RegisterPanel } from './RegisterPanel';
import { SearchPanel } from './SearchPanel';

const PAGE_SIZE = 24;

interface Page {
  faces: Face[];
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
}

interface PendingDelete {
  what: string;
  filter: FaceFilter;
  preview: DeletePreview;
}

/** One library: register, search, filter, page through, edit and delete its faces, and follow its changes. */
export function LibraryView(props: {
  provider: Provider;
  library: Library;
  api: ReturnType<typeof useApi>;
  announce: (message: string) => void;
  fail: (message: string) => void;
}) {
  const { library, api, announce } = props;
  const [filterTexts, setFilterTexts] = useState<FieldTexts>({});
  const [externalFilter, setExternalFilter] = useState('');
  const [filter, setFilter] = useState<{ fields?: Record<string, unknown>; externalImageId?: string }>({});
  const [filterError, setFilterError] = useState<string | null>(null);
  // The `after` cursor of each page seen so far: pages[0] is null (the first page).
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<Page | null>(null);
  const [editing, setEditing] = useState<Face | null>(null);
  const [pendingDelete, setPendingDelete] = useState<PendingDelete | null>(null);
  const [busy, setBusy] = useState(false);
  const [dialogError, setDialogError] = useState<string | null>(null);
  const after = cursors[cursors.length - 1];
  // The live handler reads the filter of the moment: changing it must not close and reopen the subscription.
  const filterNow = useRef(filter);
  filterNow.current = filter;
  const filtered = Object.keys(filter.fields ?? {}).length > 0 || !!filter.externalImageId;

  const load = useCallback(() => {
    void api.run(async () => {
      const data = await request(UiFacesDocument, { libraryId: library.id, filter, first: PAGE_SIZE, after });
      if (!data.library) return props.fail(`Library ${library.id} no longer exists.`);
      const faces = data.library.faces;
      setPage({
        faces: faces.edges.map((e) => e.node),
        totalCount: faces.totalCount,
        hasNextPage: faces.pageInfo.hasNextPage,
        endCursor: faces.pageInfo.endCursor,
      });
      const count = `${faces.totalCount} face${faces.totalCount === 1 ? '' : 's'}`;
      const matching = faces.totalCount === 1 ? ' matches the filter' : ' match the filter';
      announce(`${count}${filtered ? matching : ''}; page ${cursors.length}.`);
    });
  }, [library.id, filter, after]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(load, [load]);

  // Faces registered, changed or deleted by anyone (this page included) while it is open.
  useEffect(
    () =>
      followFaceEvents(
        library.id,
        (event: FaceEvent) => {
          setPage((current) => (current ? applyEvent(current, event, filterNow.current) : current));
          const who = event.face ? faceLabel(event.face) : event.faceId;
          announce(`Face ${who} ${event.kind.toLowerCase()} by ${event.actor}.`);
        },
        (message) => props.fail(`Live updates: ${message}`),
      ),
    [library.id], // eslint-disable-line react-hooks/exhaustive-deps
  );

  const applyFilter = (clear: boolean) => {
    const parsed = clear ? { values: {} } : fieldValues(library.fieldSchema, filterTexts);
    if ('invalid' in parsed) return setFilterError(parsed.invalid);
    setFilterError(null);
    if (clear) {
      setFilterTexts({});
      setExternalFilter('');
    }
    const external = clear ? '' : externalFilter.trim();
    setFilter({
      ...(Object.keys(parsed.values).length ? { fields: parsed.values } : {}),
      ...(external ? { externalImageId: external } : {}),
    });
    setCursors([null]);
  };

  const save = (face: Face, changes: FaceChanges) => {
    setBusy(true);
    void api
      .run(async () => {
        const input = {
          faceId: face.id,
          externalImageId: changes.externalImageId,
          fields: changes.fields,
          userData: changes.userData,
        };
        const result = (await request(UiUpdateFaceDocument, { input })).updateFace;
        if (result.__typename !== 'UpdateFaceSuccess') return setDialogError(result.message);
        setPage(
          (current) => current && { ...current, faces: current.faces.map((f) => (f.id === face.id ? result.face : f)) },
        );
        setEditing(null);
        setDialogError(null);
        announce(`Saved ${faceLabel(result.face)}.`);
      })
      .finally(() => setBusy(false));
  };

  const previewDelete = (what: string, deleteFilter: FaceFilter) => {
    void api.run(async () => {
      const result = (
        await request(UiDeleteFacesDocument, { libraryId: library.id, filter: deleteFilter, dryRun: true })
      ).deleteFaces;
      if (result.__typename !== 'DeleteFacesSuccess') return props.fail(result.message);
      setDialogError(null);
      setPendingDelete({ what, filter: deleteFilter, preview: result });
      announce(`Dry run: ${result.matchedCount} face${result.matchedCount === 1 ? '' : 's'} would be deleted.`);
    });
  };

  const confirmDelete = (pending: PendingDelete) => {
    setBusy(true);
    void api
      .run(async () => {
        const result = (
          await request(UiDeleteFacesDocument, { libraryId: library.id, filter: pending.filter, dryRun: false })
        ).deleteFaces;
        if (result.__typename !== 'DeleteFacesSuccess') return setDialogError(result.message);
        const gone = new Set(result.deletedFaceIds);
        setPage(
          (current) =>
            current && {
              ...current,
              faces: current.faces.filter((f) => !gone.has(f.id)),
              totalCount: current.totalCount - gone.size,
            },
        );
        setPendingDelete(null);
        const failed = result.failures.length
          ? `; ${result.failures.length} could not be deleted: ${result.failures[0].error.message}`
          : '';
        announce(`Deleted ${result.deletedCount} face${result.deletedCount === 1 ? '' : 's'}${failed}.`);
      })
      .finally(() => setBusy(false));
  };

  return (
    <main className="library">
      <div className="side">
        <RegisterPanel
          library={library}
          api={api}
          announce={announce}
          onRegistered={(face) => setPage((current) => (current ? addFace(current, face, filter) : current))}
        />
        <SearchPanel library={library} api={api} announce={announce} />
      </div>
      <section className="panel faces" id="faces" aria-labelledby="faces-heading" tabIndex={-1}>
        <h2 id="faces-heading">
          Faces in {library.displayName || library.name}{' '}
          <span className="count">{page ? `(${page.totalCount})` : ''}</span>
        </h2>
        <form
          className="filter"
          aria-label="Filter faces"
          onSubmit={(e) => {
            e.preventDefault();
            applyFilter(false);
          }}
        >
          <div className="field">
            <label htmlFor="filter-external-id">External image id</label>
            <input id="filter-external-id" value={externalFilter} onChange={(e) => setExternalFilter(e.target.value)} />
          </div>
          <FieldInputs idPrefix="filter" schema={library.fieldSchema} texts={filterTexts} onChange={setFilterTexts} />
          <div className="buttons">
            <button type="submit">Filter</button>
            <button type="button" onClick={() => applyFilter(true)} disabled={!filtered}>
              Clear filter
            </button>
            <button
              type="button"
              className="danger"
              disabled={!filtered || !page?.totalCount}
              onClick={() => previewDelete('the faces matching the filter', filter)}
            >
              Delete matching…
            </button>
          </div>
          {filterError && (
            <p className="error" role="alert">
              {filterError}
            </p>
          )}
        </form>
        {page && page.faces.length === 0 && (
          <p>{filtered ? 'No face matches the filter.' : 'No face yet: drop a photo to register one.'}</p>
        )}
        <ul className="face-grid" data-testid="faces">
          {page?.faces.map((face) => (
            <FaceCardView key={face.id} face={face}>
              <button type="button" onClick={() => setEditing(face)} aria-label={`Edit ${faceLabel(face)}`}>
                Edit
              </button>
              <button
                type="button"
                className="danger"
                onClick={() => previewDelete(`face ${faceLabel(face)}`, { faceIds: [face.id] })}
                aria-label={`Delete ${faceLabel(face)}`}
              >
                Delete…
              </button>
            </FaceCardView>
          ))}
        </ul>
        <nav className="pager" aria-label="Pages of faces">
          <button type="button" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
            Previous page
          </button>
          <span>Page {cursors.length}</span>
          <button
            type="button"
            disabled={!page?.hasNextPage}
            onClick={() => page?.endCursor && setCursors((c) => [...c, page.endCursor])}
          >
            Next page
          </button>
        </nav>
      </section>
      {editing && (
        <EditDialog
          face={editing}
          schema={library.fieldSchema}
          busy={busy}
          error={dialogError}
          onSave={(changes) => save(editing, changes)}
          onClose={() => {
            setEditing(null);
            setDialogError(null);
          }}
        />
      )}
      {pendingDelete && (
        <DeleteDialog
          what={pendingDelete.what}
          preview={pendingDelete.preview}
          busy={busy}
          error={dialogError}
          onConfirm={() => confirmDelete(pendingDelete)}
          onClose={() => setPendingDelete(null)}
        />
      )}
    </main>
  );
}

/**
 * A new face, once and when it passes the filter: faces come oldest first, so it joins the last page, or makes
 * a next page when the last one is full.
 */
function addFace(page: Page, face: Face, filter: Parameters<typeof matchesFilter>[1]): Page {
  if (page.faces.some((f) => f.id === face.id) || !matchesFilter(face, filter)) return page;
  const totalCount = page.totalCount + 1;
  if (page.hasNextPage) return { ...page, totalCount };
  if (page.faces.length >= PAGE_SIZE) return { ...page, totalCount, hasNextPage: true };
  return { ...page, faces: [...page.faces, face], totalCount };
}

function applyEvent(page: Page, event: FaceEvent, filter: Parameters<typeof matchesFilter>[1]): Page {
  if (event.kind === 'REGISTERED' && event.face) return addFace(page, event.face, filter);
  if (event.kind === 'UPDATED' && event.face) {
    const updated = event.face;
    return { ...page, faces: page.faces.map((f) => (f.id === updated.id ? updated : f)) };
  }
  if (event.kind === 'DELETED' && page.faces.some((f) => f.id === event.faceId)) {
    return { ...page, faces: page.faces.filter((f) => f.id !== event.faceId), totalCount: page.totalCount - 1 };
  }
  return page;
}
