import { useId, useState, type DragEvent } from 'react';

/**
 * A place to drop a photo, with a file input beside it for keyboard and screen-reader users (the same action).
 * Only the first image file of a drop is taken.
 */
export function DropZone(props: {
  label: string;
  hint: string;
  disabled?: boolean;
  onFile: (file: File) => void;
  testId: string;
}) {
  const { label, hint, disabled, onFile, testId } = props;
  const inputId = useId();
  const [over, setOver] = useState(false);
  const take = (files: FileList | null) => {
    const file = files && Array.from(files).find((f) => f.type.startsWith('image/') || f.type === '');
    if (file) onFile(file);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (!disabled) take(e.dataTransfer.files);
  };
  return (
    <div
      className={`drop-zone${over ? ' drop-over' : ''}`}
      data-testid={testId}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <p className="drop-hint">{hint}</p>
      <label htmlFor={inputId}>{label}</label>
      <input
        id={inputId}
        type="file"
        accept="image/jpeg,image/png,image/webp,image/bmp"
        disabled={disabled}
        onChange={(e) => {
          take(e.target.files);
          e.target.value = ''; // the same file chosen twice is two actions
        }}
      />
    </div>
  );
}
