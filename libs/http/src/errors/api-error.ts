/**
 * An expected refusal, rendered as `{"error": {code, message, details}}` with its status.
 * Services throw these (or subclasses from their own error-code enum); anything else is a bug.
 * A `temporary` refusal (a busy lock, a request still running) says "not now": a retry under the
 * same Idempotency-Key runs again instead of receiving this answer forever.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly temporary = false,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
