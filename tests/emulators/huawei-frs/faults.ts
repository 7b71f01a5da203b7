/** Per-request fault injection (the shared controller, see ../common/faults.ts) with FRS operation names. */
import * as common from '../common/faults';

export type OperationName =
  | 'createFaceSet'
  | 'listFaceSets'
  | 'getFaceSet'
  | 'deleteFaceSet'
  | 'addFaces'
  | 'queryFaces'
  | 'updateFace'
  | 'deleteFaces'
  | 'batchDeleteFaces'
  | 'searchFaces'
  | 'iamToken';

/**
 * Default bodies of status faults: 429 → FRS.0033, 401 → APIGW.0301, 403 → FRS.0002, 404 → APIGW.0101,
 * other 4xx → FRS.0012, 5xx → FRS.0018. No Retry-After unless given in `headers` (the notes do not say
 * FRS sends one).
 */
export type FaultSpec = common.FaultSpec;

export type FaultRule = common.FaultRule<FaultSpec, OperationName>;

export class FaultController extends common.FaultController<FaultSpec, OperationName> {}
