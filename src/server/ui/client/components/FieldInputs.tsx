import type { FieldDefinition, FieldTexts } from '../model';

/** One labelled input per custom field of the library, typed by the field's type. */
export function FieldInputs(props: {
  idPrefix: string;
  schema: readonly FieldDefinition[];
  texts: FieldTexts;
  onChange: (texts: FieldTexts) => void;
}) {
  const { idPrefix, schema, texts, onChange } = props;
  if (schema.length === 0) return null;
  return (
    <>
      {schema.map(({ name, type }) => {
        const id = `${idPrefix}-field-${name}`;
        const set = (value: string) => onChange({ ...texts, [name]: value });
        return (
          <div className="field" key={name}>
            <label htmlFor={id}>
              {name} <span className="field-type">{type.toLowerCase()}</span>
            </label>
            {type === 'BOOLEAN' ? (
              <select id={id} value={texts[name] ?? ''} onChange={(e) => set(e.target.value)}>
                <option value="">(any)</option>
                <option value="true">true</option>
                <option value="false">false</option>
              </select>
            ) : (
              <input
                id={id}
                type="text"
                inputMode={type === 'STRING' ? 'text' : 'decimal'}
                value={texts[name] ?? ''}
                onChange={(e) => set(e.target.value)}
              />
            )}
          </div>
        );
      })}
    </>
  );
}
