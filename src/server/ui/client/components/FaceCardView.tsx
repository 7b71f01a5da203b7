import type { ReactNode } from 'react';
import type { Face } from '../model';
import { faceLabel } from '../model';

/** A face as a thumbnail with who it is and its fields; the actions are given by the list it is in. */
export function FaceCardView(props: { face: Face; similarity?: number; children?: ReactNode }) {
  const { face, similarity, children } = props;
  const label = faceLabel(face);
  const rows: [string, string][] = [
    ['Person', face.person ? face.person.name || face.person.externalId : '—'],
    ['External id', face.externalImageId ?? '—'],
    ...Object.entries(face.fields).map(([k, v]): [string, string] => [k, String(v)]),
    ...(face.userData ? [['User data', face.userData] as [string, string]] : []),
  ];
  return (
    <li className="face-card" data-face-id={face.id}>
      {face.thumbnail ? (
        <img className="thumb" src={face.thumbnail} alt={`Face ${label}`} width={160} height={160} />
      ) : (
        <div className="thumb thumb-missing" role="img" aria-label={`Face ${label}: no image kept`}>
          no image
        </div>
      )}
      <div className="face-meta">
        {similarity !== undefined && (
          <p className="similarity">
            Similarity <strong>{(similarity * 100).toFixed(1)}%</strong>
          </p>
        )}
        <p className="face-title">{label}</p>
        <dl>
          {rows.map(([term, value]) => (
            <div className="dl-row" key={term}>
              <dt>{term}</dt>
              <dd>{value}</dd>
            </div>
          ))}
        </dl>
        {children && <div className="face-actions">{children}</div>}
      </div>
    </li>
  );
}
