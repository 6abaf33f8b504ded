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
export function defineErrors<C extends string>(statuses: Record<C, number>): ErrorFactory<C> {
  const factory = (code: C, message: string, details?: unknown) => new ApiError(statuses[code], code, message, details);
  return Object.assign(factory, { statuses: Object.freeze({ ...statuses }) });
}

/** An ApiError with one of the shared codes. */
export const httpError = defineErrors<HttpErrorCode>(HTTP_ERROR_STATUS);
