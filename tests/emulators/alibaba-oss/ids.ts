import { randomBytes } from 'node:crypto';

/** x-oss-request-id: 24 upper-case hex characters, e.g. "534B371674E88A4D8906008B". */
export const newRequestId = (): string => randomBytes(12).toString('hex').toUpperCase();
