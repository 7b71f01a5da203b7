import { useState } from 'react';
import { Modal } from './Modal';

/** Asked when the server answers UNAUTHENTICATED: the key is kept in this tab's sessionStorage only. */
export function ApiKeyDialog(props: { reason: string; onKey: (key: string) => void; onClose: () => void }) {
  const [key, setKey] = useState('');
  return (
    <Modal title="API key needed" onClose={props.onClose} testId="api-key-dialog">
      <p>{props.reason}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (key.trim()) props.onKey(key.trim());
        }}
      >
        <div className="field">
          <label htmlFor="api-key">API key (sent as Authorization: Bearer; kept until this tab closes)</label>
          <input
            id="api-key"
            type="password"
            autoComplete="off"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            autoFocus
          />
        </div>
        <div className="buttons">
          <button type="submit" disabled={!key.trim()}>
            Use this key
          </button>
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}
