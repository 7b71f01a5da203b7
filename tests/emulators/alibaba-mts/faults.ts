/** Per-request fault injection (the shared controller, see ../common/faults.ts) with MTS Action names. */
import * as common from '../common/faults';

/** Operations are the RPC Action names. */
export type OperationName = 'RegisterCustomFace' | 'UnregisterCustomFace' | 'ListCustomPersons' | 'TagCustomPerson';

export const OPERATION_NAMES: readonly OperationName[] = [
  'RegisterCustomFace',
  'UnregisterCustomFace',
  'ListCustomPersons',
  'TagCustomPerson',
];

/**
 * A status fault answers with a POP error body `{RequestId, HostId, Code, Message, Recommend}`.
 * Default code by status: 400 and 429 → Throttling.User, 403 → Forbidden.RAM, 404 → InvalidApi.NotFound,
 * 503 → ServiceUnavailable, other 5xx → InternalError, other 4xx → InvalidParameter. `code` / `message`
 * choose another code or text (e.g. `{status: 400, code: 'Throttling.Api'}`); `body` replaces the whole
 * body. `headers` are added (e.g. `x-acs-retry-after`).
 */
export type StatusFault = common.StatusFault & { code?: string; message?: string };

export type FaultSpec = common.FaultSpec<StatusFault>;

/** `operation` is an Action name. */
export type FaultRule = common.FaultRule<FaultSpec, OperationName | string>;

export class FaultController extends common.FaultController<FaultSpec, OperationName | string> {
  constructor() {
    super(OPERATION_NAMES);
  }
}
