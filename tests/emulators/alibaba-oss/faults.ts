/** Per-request fault injection (the shared controller, see ../common/faults.ts) with OSS operation names. */
import * as common from '../common/faults';

export type OperationName = 'PutObject' | 'GetObject' | 'HeadObject' | 'DeleteObject';

export const OPERATION_NAMES: readonly OperationName[] = ['PutObject', 'GetObject', 'HeadObject', 'DeleteObject'];

/**
 * A status fault answers with an OSS XML error. Default code by status: 429 → TooManyRequests (the emulator's
 * choice), 503 → ServiceUnavailable, other 5xx → InternalError, 403 → AccessDenied, 404 → NoSuchKey, other 4xx →
 * InvalidArgument. `code` / `message` choose another; `body` replaces the whole body (a string, sent as is).
 */
export type StatusFault = common.StatusFault & { code?: string; message?: string };

export type FaultSpec = common.FaultSpec<StatusFault>;

export type FaultRule = common.FaultRule<FaultSpec, OperationName>;

export class FaultController extends common.FaultController<FaultSpec, OperationName> {
  constructor() {
    super(OPERATION_NAMES);
  }
}
