/**
 * An expected refusal, rendered as `{"error": {code, message, details}}` with its status.
 * Services throw these (or subclasses from their own error-code enum); anything else is a bug.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
