/** Injection token of the parsed environment (PaymentEnv). */
export const PAYMENT_ENV = Symbol('ebb:payment-env');
