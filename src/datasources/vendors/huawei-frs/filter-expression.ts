import { invalidInput } from '../../../domain/errors';
import type { FieldValues } from '../../../domain/model';

// The FRS filter grammar (notes §5.3) is Lucene-like: bare `field:value` terms joined by `&&`, with no
// quoting or escaping. FRS text values are letters, digits, '_' and '-', none of which the grammar
// gives a meaning to, except a leading '-', which Lucene reads as "not": such values are refused.

const SAFE_TEXT = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,255}$/;

/** True when the text can stand as a filter value (see above). */
export const isFilterableText = (value: string): boolean => SAFE_TEXT.test(value);

export function filterValue(field: string, value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  if (!SAFE_TEXT.test(value)) {
    throw invalidInput(
      `filter.fields.${field}`,
      "Huawei FRS can filter on text of 1-256 letters, digits, '_' or '-' (not starting with '-'); " +
        `'${field}' does not fit.`,
      'FRS_FILTER_VALUE',
    );
  }
  return value;
}

/** All parts must match: `external_image_id:<v> && <field>:<v> && ...`. */
export function filterExpression(filter: { externalImageId?: string; fields?: FieldValues }): string {
  const terms: string[] = [];
  if (filter.externalImageId !== undefined)
    terms.push(`external_image_id:${filterValue('externalImageId', filter.externalImageId)}`);
  for (const [name, value] of Object.entries(filter.fields ?? {})) terms.push(`${name}:${filterValue(name, value)}`);
  if (terms.length === 0) throw new Error('an FRS filter needs at least one term');
  return terms.join(' && ');
}
