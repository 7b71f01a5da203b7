/** Per-request fault injection (the shared controller, see ../common/faults.ts) with Azure operation names. */
import * as common from '../common/faults';

export type OperationName =
  | 'createGroup'
  | 'getGroup'
  | 'listGroups'
  | 'deleteGroup'
  | 'updateGroup'
  | 'createPerson'
  | 'getPerson'
  | 'listPersons'
  | 'deletePerson'
  | 'updatePerson'
  | 'addFace'
  | 'getFace'
  | 'updateFace'
  | 'deleteFace'
  | 'train'
  | 'getTraining'
  | 'detect'
  | 'identify';

export const OPERATION_NAMES: readonly OperationName[] = [
  'createGroup',
  'getGroup',
  'listGroups',
  'deleteGroup',
  'updateGroup',
  'createPerson',
  'getPerson',
  'listPersons',
  'deletePerson',
  'updatePerson',
  'addFace',
  'getFace',
  'updateFace',
  'deleteFace',
  'train',
  'getTraining',
  'detect',
  'identify',
];

/**
 * Default bodies of status faults (README "Fault injection"): 429 → `{"error":{"code":"429",
 * "message":"Rate limit is exceeded. Try again in N seconds."}}` + `Retry-After: N` (N = 1, or the
 * number given in `headers['Retry-After']`); 401 → the access-denied body; 403 → the call-volume
 * quota body; 404 → "Resource not found"; 500 → InternalServerError; 503 (and other 5xx) →
 * ServiceUnavailable; other 4xx → BadArgument "Request body is invalid.". `headers` are added to
 * (and override) the defaults.
 */
export type FaultSpec = common.FaultSpec;

export type FaultRule = common.FaultRule<FaultSpec, OperationName | string>;

export class FaultController extends common.FaultController<FaultSpec, OperationName | string> {
  constructor() {
    super(OPERATION_NAMES);
  }
}
