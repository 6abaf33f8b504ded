/** The error codes the sandbox answers with, as Stripe names them. */
export enum StripeErrorCode {
  ApiKeyInvalid = 'api_key_invalid',
  ParameterMissing = 'parameter_missing',
  ParameterInvalidInteger = 'parameter_invalid_integer',
  ParameterInvalid = 'parameter_invalid',
  ResourceMissing = 'resource_missing',
  PaymentIntentUnexpectedState = 'payment_intent_unexpected_state',
  CardDeclined = 'card_declined',
  AmountTooLarge = 'amount_too_large',
  ChargeAlreadyRefunded = 'charge_already_refunded',
  IdempotencyParametersMismatch = 'idempotency_parameters_mismatch',
  RouteNotFound = 'route_not_found',
  InjectedFault = 'injected_fault',
  InternalError = 'internal_error',
}

export type StripeErrorType = 'invalid_request_error' | 'card_error' | 'idempotency_error' | 'api_error';

// exhaustive: a new code without its status and Stripe error type does not compile
export const STRIPE_ERRORS: Record<StripeErrorCode, { status: number; type: StripeErrorType }> = {
  [StripeErrorCode.ApiKeyInvalid]: { status: 401, type: 'invalid_request_error' },
  [StripeErrorCode.ParameterMissing]: { status: 400, type: 'invalid_request_error' },
  [StripeErrorCode.ParameterInvalidInteger]: { status: 400, type: 'invalid_request_error' },
  [StripeErrorCode.ParameterInvalid]: { status: 400, type: 'invalid_request_error' },
  [StripeErrorCode.ResourceMissing]: { status: 404, type: 'invalid_request_error' },
  [StripeErrorCode.PaymentIntentUnexpectedState]: { status: 400, type: 'invalid_request_error' },
  [StripeErrorCode.CardDeclined]: { status: 402, type: 'card_error' },
  [StripeErrorCode.AmountTooLarge]: { status: 400, type: 'invalid_request_error' },
  [StripeErrorCode.ChargeAlreadyRefunded]: { status: 400, type: 'invalid_request_error' },
  [StripeErrorCode.IdempotencyParametersMismatch]: { status: 400, type: 'idempotency_error' },
  [StripeErrorCode.RouteNotFound]: { status: 404, type: 'invalid_request_error' },
  [StripeErrorCode.InjectedFault]: { status: 500, type: 'api_error' },
  [StripeErrorCode.InternalError]: { status: 500, type: 'api_error' },
};

/** An answer in Stripe's error shape `{error: {type, code, message, param?, ...}}`. */
export class StripeError extends Error {
  readonly status: number;
  readonly type: StripeErrorType;

  constructor(
    readonly code: StripeErrorCode,
    message: string,
    readonly extra: { param?: string; [field: string]: unknown } = {},
  ) {
    super(message);
    this.name = 'StripeError';
    this.status = STRIPE_ERRORS[code].status;
    this.type = STRIPE_ERRORS[code].type;
  }

  /** Whether Stripe would keep this answer under the request's idempotency key (not for bad parameters). */
  get replayable(): boolean {
    return this.type === 'card_error' || (this.status === 400 && !this.code.startsWith('parameter_'));
  }

  toBody() {
    return { error: { type: this.type, code: this.code, message: this.message, ...this.extra } };
  }
}

/** A missing object, as Stripe words it: `No such payment_intent: 'pi_123'`. */
export function noSuch(kind: string, id: string, param?: string): StripeError {
  return new StripeError(StripeErrorCode.ResourceMissing, `No such ${kind}: '${id}'`, param ? { param } : {});
}
