import type { RequestHandler } from 'express';
import { processRequest } from 'graphql-upload-minimal';
import type { Logger } from 'pino';

// Files arrive as GraphQL multipart requests (https://github.com/jaydenseric/graphql-multipart-request-spec):
// parsed here, after the Host check, authentication and the rate limit, and streamed to the resolvers, which read
// each file up to images.maxBytes (src/datasources/images/upload.ts).

/** Apollo Server's CSRF prevention asks for one of these on a multipart POST, which browsers send cross-site. */
const PREFLIGHT_HEADERS = ['apollo-require-preflight', 'x-apollo-operation-name'];

export interface UploadLimits {
  /** Bytes per file: the parser stops a file there, and the resolver refuses it (ImageRejectedError TOO_LARGE). */
  maxBytes: number;
  /** Files per request: one per ImageInput, and ImageInputs only occur in the fields limited per request. */
  maxFiles: number;
}

/**
 * Parses multipart requests to /graphql; other requests pass untouched. Without a preflight header the request is
 * refused before its body is read, as Apollo would refuse it after.
 */
export function multipartUploads(limits: UploadLimits, logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (!req.is('multipart/form-data')) return next();
    if (!PREFLIGHT_HEADERS.some((name) => (req.get(name) ?? '').trim() !== '')) {
      logger.info({ client: req.socket.remoteAddress }, 'request refused: multipart upload without a preflight header');
      refuse(
        res,
        400,
        'This multipart request has no preflight header (CSRF prevention): send apollo-require-preflight: true.',
        'BAD_REQUEST',
      );
      return;
    }
    keepParserErrorsHandled(req);
    // busboy cuts a file when it reaches maxFileSize, even if it ends there: one byte more tells "over" from "at".
    processRequest(req, res, { maxFileSize: limits.maxBytes + 1, maxFiles: limits.maxFiles }).then(
      (operations) => {
        req.body = operations;
        next();
      },
      (e: unknown) => {
        const given = Number((e as { status?: unknown }).status);
        if (given >= 500) return next(e);
        // Without a status it is busboy's refusal of the body itself (a cut-off form, a malformed part header, no
        // boundary): the client's mistake, a 400. The parser's messages name the spec's fields and limits, never
        // the content.
        const status = given >= 400 ? given : 400;
        const reason = String((e as Error).message);
        const message =
          status === 413 && /max file uploads/.test(reason)
            ? `At most ${limits.maxFiles} files per request (one per image.upload; limits.expensiveFieldsPerRequest).`
            : given >= 400
              ? reason
              : `The multipart body is malformed (${reason}): send a GraphQL multipart request ` +
                '(https://github.com/jaydenseric/graphql-multipart-request-spec).';
        logger.info({ status, client: req.socket.remoteAddress }, 'request refused: malformed multipart upload');
        refuse(res, status, message, status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST');
      },
    );
  };
}

/**
 * graphql-upload-minimal handles only the first 'error' of its busboy parser, then destroys it; busboy's destroy of
 * a form cut off mid-part emits another, and an 'error' event with no listener would end the process (one malformed
 * request taking every other down). The parser is the stream the request is piped to: it gets a listener for good.
 */
function keepParserErrorsHandled(req: Parameters<RequestHandler>[0]): void {
  const pipe = req.pipe.bind(req);
  req.pipe = ((destination: NodeJS.WritableStream, options?: { end?: boolean }) => {
    destination.on('error', () => undefined);
    return pipe(destination, options);
  }) as typeof req.pipe;
}

function refuse(res: Parameters<RequestHandler>[1], status: number, message: string, code: string): void {
  // The rest of the body is not read: close the connection instead of leaving it half-read for the next request.
  res
    .set('connection', 'close')
    .status(status)
    .json({ errors: [{ message, extensions: { code } }] });
}
