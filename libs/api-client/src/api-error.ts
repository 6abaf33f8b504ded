// The error of a refused call, shared by the Node clients and the browser's (no Node module here).

/** A refused call: the HTTP status and the API's error code (`error.code`, Stripe's `error.type`, else `http_<status>`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** the API's `error.details`, when it gave some (the bad fields of a validation_error, the `from` of a transition) */
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
