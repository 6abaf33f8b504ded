import { ApiError } from './api-error';

/** The refusals every service shares; each service adds its own with `defineErrors`. */
export enum HttpErrorCode {
  ValidationError = 'validation_error',
  MalformedJson = 'malformed_json',
  BadRequest = 'bad_request',
  PayloadTooLarge = 'payload_too_large',
  UnsupportedMediaType = 'unsupported_media_type',
  Unauthorized = 'unauthorized',
  Forbidden = 'forbidden',
  RouteNotFound = 'route_not_found',
  MethodNotAllowed = 'method_not_allowed',
  Conflict = 'conflict',
  IdempotencyKeyReused = 'idempotency_key_reused',
  IdempotencyKeyInvalid = 'idempotency_key_invalid',
  RequestInProgress = 'request_in_progress',
  TooManyRequests = 'too_many_requests',
  InternalError = 'internal_error',
  ServiceUnavailable = 'service_unavailable',
}

// exhaustive: a new code without a status does not compile
export const HTTP_ERROR_STATUS: Record<HttpErrorCode, number> = {
  [HttpErrorCode.ValidationError]: 400,
  [HttpErrorCode.MalformedJson]: 400,
  [HttpErrorCode.BadRequest]: 400,
  [HttpErrorCode.PayloadTooLarge]: 413,
  [HttpErrorCode.UnsupportedMediaType]: 415,
  [HttpErrorCode.Unauthorized]: 401,
  [HttpErrorCode.Forbidden]: 403,
  [HttpErrorCode.RouteNotFound]: 404,
  [HttpErrorCode.MethodNotAllowed]: 405,
  [HttpErrorCode.Conflict]: 409,
  [HttpErrorCode.IdempotencyKeyReused]: 409,
  [HttpErrorCode.IdempotencyKeyInvalid]: 400,
  [HttpErrorCode.RequestInProgress]: 409,
  [HttpErrorCode.TooManyRequests]: 429,
  [HttpErrorCode.InternalError]: 500,
  [HttpErrorCode.ServiceUnavailable]: 503,
};

/** A code's status, and whether the refusal is temporary (the same request may pass later: never stored as its answer). */
export type ErrorStatus = number | { status: number; temporary: true };

/** Builds the ApiError of one code, with the status its map gives it. */
export type ErrorFactory<C extends string> = ((code: C, message: string, details?: unknown) => ApiError) & {
  readonly statuses: Readonly<Record<C, number>>;
};

/**
 * A service's own code → status map, made the same way as HTTP_ERROR_STATUS:
 * `export const orderError = defineErrors<OrderErrorCode>({ [OrderErrorCode.NotFound]: 404, ... })`
 * (naming the enum as type argument makes the map exhaustive), or simply
 * `defineErrors({ order_not_found: 404 })`, whose keys become the only codes the factory takes.
 */
export function defineErrors<C extends string>(map: Record<C, ErrorStatus>): ErrorFactory<C> {
  const entries = Object.entries(map) as [C, ErrorStatus][];
  const statuses = Object.fromEntries(entries.map(([code, entry]) => [code, typeof entry === 'number' ? entry : entry.status])) as Record<C, number>;
  const temporary = new Set(entries.filter(([, entry]) => typeof entry !== 'number').map(([code]) => code));
  const factory = (code: C, message: string, details?: unknown) => new ApiError(statuses[code], code, message, details, temporary.has(code));
  return Object.assign(factory, { statuses: Object.freeze(statuses) });
}

/** An ApiError with one of the shared codes; a request still running and a rate limit are temporary. */
export const httpError = defineErrors<HttpErrorCode>({
  ...HTTP_ERROR_STATUS,
  [HttpErrorCode.RequestInProgress]: { status: 409, temporary: true },
  [HttpErrorCode.TooManyRequests]: { status: 429, temporary: true },
  [HttpErrorCode.ServiceUnavailable]: { status: 503, temporary: true },
});
