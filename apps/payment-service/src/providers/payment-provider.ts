/** The providers api-v1 names; only `stripe` has an adapter so far. */
export const PROVIDER_NAMES = ['stripe', 'alipay', 'wechatpay'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export interface CreatePaymentInput {
  paymentId: string;
  orderId: string;
  amount: number;
  /** ISO 4217, upper case; adapters convert to their own spelling */
  currency: string;
}

export interface CreatedPayment {
  providerPaymentId: string;
  clientSecret?: string;
}

export interface RefundInput {
  refundId: string;
  attempt: number;
  providerPaymentId: string;
  amount: number;
  /** the provider's idempotency key: the same key returns the same refund */
  idempotencyKey: string;
}

export type ProviderRefundOutcome = 'pending' | 'succeeded' | 'failed';

export interface ProviderRefundState {
  providerRefundId: string;
  status: ProviderRefundOutcome;
  reason?: string;
}

/** A verified webhook, in the provider-neutral shape payment-service acts on. */
export type ProviderEvent = { eventId: string; type: string; payload: unknown } & (
  | { kind: 'payment_succeeded'; providerPaymentId: string; paymentId?: string; orderId?: string; amountReceived: number; currency: string }
  | { kind: 'payment_failed'; providerPaymentId: string; paymentId?: string; reason: string }
  | { kind: 'refund_updated'; providerRefundId: string; refundId?: string; attempt?: number; status: ProviderRefundOutcome; reason?: string }
  // logged, never trusted (checkout.session.completed, redirects, anything else)
  | { kind: 'ignored' }
);

/** The provider refused the request itself (4xx): retrying the same call cannot help. */
export class ProviderRefusedError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ProviderRefusedError';
  }
}

/** The signature of a webhook did not verify. */
export class InvalidSignatureError extends Error {}

/** A correctly signed webhook whose body is not an event this provider sends: refused, nothing recorded. */
export class MalformedEventError extends Error {}

/** Ebb's own reference of a refund at the provider: the payment it refunds, and the refund id and attempt it carries. */
export interface RefundReference {
  providerPaymentId: string;
  refundId: string;
  attempt: number;
}

/** What payment-service needs of a payment provider. */
export interface PaymentProvider {
  readonly name: ProviderName;
  createPayment(input: CreatePaymentInput): Promise<CreatedPayment>;
  /** The payment as the provider holds it now (the client secret a customer confirms with again). */
  retrievePayment(providerPaymentId: string): Promise<CreatedPayment>;
  /** Cancels a payment not paid yet; a payment already paid is a refusal (`ProviderRefusedError`). */
  cancelPayment(providerPaymentId: string): Promise<void>;
  refund(input: RefundInput): Promise<ProviderRefundState>;
  retrieveRefund(providerRefundId: string): Promise<ProviderRefundState>;
  /**
   * Looks a refund up by Ebb's own reference, without its idempotency key (which the provider may have
   * forgotten): the refund the provider made for that attempt, or null if it made none.
   */
  findRefund(reference: RefundReference): Promise<ProviderRefundState | null>;
  /** Verifies the signature over the exact bytes received (InvalidSignatureError), then the event's shape (MalformedEventError). */
  verifyWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): ProviderEvent;
}

/** Injection token of the provider adapters, by name. */
export const PAYMENT_PROVIDERS = Symbol('ebb:payment-providers');
export type PaymentProviders = Partial<Record<ProviderName, PaymentProvider>>;
