import { HttpException } from '@nestjs/common';
import { ApiError } from './api-error';
import { HTTP_ERROR_STATUS, HttpErrorCode } from './error-codes';

/** The body of every refusal, as `api-v1.md` fixes it. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** What a thrown value answers: its status and body, and whether it is a bug to log. */
export interface RenderedError {
  status: number;
  body: ErrorBody;
  unexpected: boolean;
  /** the same request may pass later (a busy lock, an outage): a retry must run again, not replay this */
  temporary: boolean;
}

const GENERIC_CODE_BY_STATUS: Record<number, HttpErrorCode> = {
  400: HttpErrorCode.BadRequest,
  401: HttpErrorCode.Unauthorized,
  403: HttpErrorCode.Forbidden,
  // services answer their own `<thing>_not_found` as ApiError; Nest's bare 404 means no route matched
  404: HttpErrorCode.RouteNotFound,
  405: HttpErrorCode.MethodNotAllowed,
  409: HttpErrorCode.Conflict,
  413: HttpErrorCode.PayloadTooLarge,
  415: HttpErrorCode.UnsupportedMediaType,
  429: HttpErrorCode.TooManyRequests,
  503: HttpErrorCode.ServiceUnavailable,
};

// body-parser's error types (https://github.com/expressjs/body-parser#errors)
const BODY_PARSER_ERRORS: Record<string, { code: HttpErrorCode; message: string }> = {
  'entity.parse.failed': { code: HttpErrorCode.MalformedJson, message: 'The request body is not valid JSON.' },
  'entity.too.large': { code: HttpErrorCode.PayloadTooLarge, message: 'The request body is too large.' },
  'entity.verify.failed': { code: HttpErrorCode.BadRequest, message: 'The request body was refused.' },
  'charset.unsupported': { code: HttpErrorCode.UnsupportedMediaType, message: 'The request body charset is not supported.' },
  'encoding.unsupported': { code: HttpErrorCode.UnsupportedMediaType, message: 'The request body encoding is not supported.' },
  'request.aborted': { code: HttpErrorCode.BadRequest, message: 'The request was aborted.' },
  'request.size.invalid': { code: HttpErrorCode.BadRequest, message: 'The request body does not match its Content-Length.' },
  'parameters.too.many': { code: HttpErrorCode.PayloadTooLarge, message: 'The request body has too many parameters.' },
};

/** An error raised while reading the body, as the caller's mistake it is; undefined for anything else. */
export function bodyParserError(error: unknown): ApiError | undefined {
  const { type, status, code } = (error ?? {}) as { type?: unknown; status?: unknown; code?: unknown };
  const known = typeof type === 'string' ? BODY_PARSER_ERRORS[type] : undefined;
  if (known) return new ApiError(HTTP_ERROR_STATUS[known.code], known.code, known.message);
  // a stream error while reading (a body that is not gzip/deflate/br as its Content-Encoding says):
  // body-parser marks it 400 but gives it no type
  if (status === 400 && error instanceof Error) {
    const undecodable = typeof code === 'string' && code.startsWith('Z_');
    const message = undecodable ? 'The request body is not encoded as its Content-Encoding says.' : 'The request body could not be read.';
    return new ApiError(400, HttpErrorCode.BadRequest, message);
  }
  return undefined;
}

function body(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined || details === null ? { code, message } : { code, message, details } };
}

/** Renders anything thrown into the status and body sent; the one mapping the filter and idempotency share. */
export function renderError(exception: unknown): RenderedError {
  if (exception instanceof ApiError) {
    return {
      status: exception.status,
      body: body(exception.code, exception.message, exception.details),
      unexpected: exception.status >= 500,
      temporary: exception.temporary || exception.status >= 500 || exception.status === 429,
    };
  }
  const parsing = bodyParserError(exception);
  if (parsing) return renderError(parsing);
  if (exception instanceof HttpException && exception.getStatus() < 500) {
    const status = exception.getStatus();
    return { status, body: body(GENERIC_CODE_BY_STATUS[status] ?? HttpErrorCode.BadRequest, exception.message), unexpected: false, temporary: status === 429 };
  }
  // a bug or an outage: the caller learns nothing of its internals
  const status = exception instanceof HttpException && exception.getStatus() === 503 ? 503 : 500;
  const code = status === 503 ? HttpErrorCode.ServiceUnavailable : HttpErrorCode.InternalError;
  return { status, body: body(code, 'The server failed to answer the request.'), unexpected: true, temporary: true };
}
