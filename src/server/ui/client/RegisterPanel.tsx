import { useState } from 'react';
import { request } from './api/graphql-client';
import type { useApi } from './api/use-api';
import { DropZone } from './components/DropZone';
import { FieldInputs } from './components/FieldInputs';
import { UiRegisterFaceDocument } from './generated/graphql';
import { faceLabel, fieldValues, type Face, type FieldTexts, type Library } from './model';

/** Register a face from a dropped or chosen photo (multipart upload), with its external id, fields and userData. */
export function RegisterPanel(props: {
  library: Library;
  api: ReturnType<typeof useApi>;
  announce: (message: string) => void;
  onRegistered: (face: Face) => void;
}) {
  const { library, api, announce } = props;
  const [externalImageId, setExternalImageId] = useState('');
  const [texts, setTexts] = useState<FieldTexts>({});
  const [userData, setUserData] = useState('');
  const [refusal, setRefusal] = useState<{ kind: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const register = (file: File) => {
    const parsed = fieldValues(library.fieldSchema, texts);
    if ('invalid' in parsed) return setRefusal({ kind: 'InvalidInputError', message: parsed.invalid });
    setRefusal(null);
    setBusy(true);
    announce(`Registering ${file.name}…`);
    void api
      .run(async () => {
        const input = {
          libraryId: library.id,
          image: { upload: file },
          ...(externalImageId.trim() ? { externalImageId: externalImageId.trim() } : {}),
          ...(Object.keys(parsed.values).length ? { fields: parsed.values } : {}),
          ...(userData ? { userData } : {}),
        };
        const result = (await request(UiRegisterFaceDocument, { input })).registerFace;
        if (result.__typename === 'RegisterFaceSuccess') {
          props.onRegistered(result.face);
          announce(`Registered ${faceLabel(result.face)} from ${file.name}.`);
          setExternalImageId('');
        } else {
          setRefusal({ kind: result.__typename, message: result.message });
          announce(`${file.name} was not registered.`);
        }
      })
      .finally(() => setBusy(false));
  };

  return (
    <section className="panel" aria-labelledby="register-heading">
      <h2 id="register-heading">Register a face</h2>
      <div className="field">
        <label htmlFor="register-external-id">External image id (optional)</label>
        <input id="register-external-id" value={externalImageId} onChange={(e) => setExternalImageId(e.target.value)} />
      </div>
      <FieldInputs idPrefix="register" schema={library.fieldSchema} texts={texts} onChange={setTexts} />
      <div className="field">
        <label htmlFor="register-user-data">User data (optional)</label>
        <input id="register-user-data" value={userData} onChange={(e) => setUserData(e.target.value)} />
      </div>
      <DropZone
        testId="register-drop"
        label="Choose a photo to register"
        hint="Drop a photo of one face here"
        disabled={busy}
        onFile={register}
      />
      {refusal && (
        <p className="error refusal" role="alert" data-testid="register-error" data-error={refusal.kind}>
          {refusal.message}
        </p>
      )}
    </section>
  );
}
