import type { UiDeleteFacesMutation } from '../generated/graphql';
import { Modal } from './Modal';

export type DeletePreview = Extract<UiDeleteFacesMutation['deleteFaces'], { __typename: 'DeleteFacesSuccess' }>;

/** The dry run's plan (how many faces, how the vendor is called), shown before anything is deleted. */
export function DeleteDialog(props: {
  what: string;
  preview: DeletePreview;
  busy: boolean;
  error: string | null;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const { preview } = props;
  const calls = preview.plan.vendorCalls;
  const faces = `${preview.matchedCount} face${preview.matchedCount === 1 ? '' : 's'}`;
  const how = `${calls} vendor call${calls === 1 ? '' : 's'}`;
  const strategy = preview.plan.strategy === 'NATIVE' ? 'native' : 'emulated: face by face';
  return (
    <Modal title={`Delete ${props.what}?`} onClose={props.onClose} testId="delete-dialog">
      <p data-testid="delete-plan">
        This deletes <strong>{faces}</strong> with {how} ({strategy}). It cannot be undone.
      </p>
      {props.error && (
        <p className="error" role="alert">
          {props.error}
        </p>
      )}
      <div className="buttons">
        <button
          type="button"
          className="danger"
          disabled={props.busy || preview.matchedCount === 0}
          onClick={props.onConfirm}
        >
          Delete {preview.matchedCount} face{preview.matchedCount === 1 ? '' : 's'}
        </button>
        <button type="button" onClick={props.onClose} autoFocus>
          Cancel
        </button>
      </div>
    </Modal>
  );
}
