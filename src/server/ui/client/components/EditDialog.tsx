import { useState } from 'react';
import { fieldTexts, fieldValues, faceLabel, type Face, type FieldDefinition } from '../model';
import { FieldInputs } from './FieldInputs';
import { Modal } from './Modal';

export interface FaceChanges {
  externalImageId: string;
  fields: Record<string, unknown>;
  userData: string;
}

/** Edits a face's external id, custom fields and userData (updateFace). */
export function EditDialog(props: {
  face: Face;
  schema: readonly FieldDefinition[];
  busy: boolean;
  error: string | null;
  onSave: (changes: FaceChanges) => void;
  onClose: () => void;
}) {
  const { face, schema } = props;
  const [externalImageId, setExternalImageId] = useState(face.externalImageId ?? '');
  const [texts, setTexts] = useState(fieldTexts(face.fields));
  const [userData, setUserData] = useState(face.userData ?? '');
  const [invalid, setInvalid] = useState<string | null>(null);
  return (
    <Modal title={`Edit face ${faceLabel(face)}`} onClose={props.onClose} testId="edit-dialog">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const parsed = fieldValues(schema, texts);
          if ('invalid' in parsed) return setInvalid(parsed.invalid);
          setInvalid(null);
          props.onSave({ externalImageId, fields: parsed.values, userData });
        }}
      >
        <div className="field">
          <label htmlFor="edit-external-id">External image id</label>
          <input id="edit-external-id" value={externalImageId} onChange={(e) => setExternalImageId(e.target.value)} />
        </div>
        <FieldInputs idPrefix="edit" schema={schema} texts={texts} onChange={setTexts} />
        <div className="field">
          <label htmlFor="edit-user-data">User data</label>
          <textarea id="edit-user-data" rows={3} value={userData} onChange={(e) => setUserData(e.target.value)} />
        </div>
        {(invalid ?? props.error) && (
          <p className="error" role="alert">
            {invalid ?? props.error}
          </p>
        )}
        <div className="buttons">
          <button type="submit" disabled={props.busy}>
            Save
          </button>
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}
