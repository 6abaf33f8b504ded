/** Injection token of the carrier client. */
export const CARRIER = Symbol('refunds:carrier');
