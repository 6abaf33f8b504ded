/** The providers api-v1 names, each with an adapter behind PaymentProvider. */
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
  /** what the customer scans to pay (Alipay's qr_code, WeChat Pay's code_url) */
  qrCode?: string;
}

export type ProviderPaymentStatus = 'pending' | 'succeeded' | 'failed' | 'canceled';

/** A payment as the provider's records show it (a bill's line, a look-up), for reconciliation. */
export interface ProviderPaymentRecord {
  providerPaymentId: string;
  status: ProviderPaymentStatus;
  /** minor units received (0 while unpaid) */
  amount: number;
  currency: string;
}

/** A refund as the provider's records show it, with Ebb's own reference when it carries one. */
export interface ProviderRefundRecord {
  providerRefundId: string;
  providerPaymentId: string;
  status: ProviderRefundOutcome;
  amount: number;
  currency: string;
  refundId?: string;
  attempt?: number;
}

/** What the provider says happened on one of its days: the payments captured and the refunds made. */
export interface ProviderStatement {
  payments: ProviderPaymentRecord[];
  refunds: ProviderRefundRecord[];
}

export interface RefundInput {
  refundId: string;
  attempt: number;
  providerPaymentId: string;
  amount: number;
  currency: string;
  /** what the payment captured (WeChat Pay asks for the order's total with every refund) */
  paymentAmount: number;
  /** the provider's idempotency key: the same key returns the same refund */
  idempotencyKey: string;
}

export type ProviderRefundOutcome = 'pending' | 'succeeded' | 'failed';

export interface ProviderRefundState {
  providerRefundId: string;
  status: ProviderRefundOutcome;
  reason?: string;
  /** minor units, when the provider says (reconciliation compares it) */
  amount?: number;
}

/** A verified webhook, in the provider-neutral shape payment-service acts on. */
export type ProviderEvent = { eventId: string; type: string; payload: unknown } & (
  | { kind: 'payment_succeeded'; providerPaymentId: string; paymentId?: string; orderId?: string; amountReceived: number; currency: string }
  | { kind: 'payment_failed'; providerPaymentId: string; paymentId?: string; reason: string }
  | {
      kind: 'refund_updated';
      providerRefundId: string;
      refundId?: string;
      attempt?: number;
      status: ProviderRefundOutcome;
      reason?: string;
      /** the payment it refunds and how much, when the notification tells (a refund made outside Ebb is recorded from them) */
      providerPaymentId?: string;
      amount?: number;
      currency?: string;
    }
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

/** The code of the refusal `retrieveRefund` answers for a refund the provider never made. */
export const REFUND_NOT_FOUND = 'refund_not_found';

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
  /** the currencies it takes (all when absent) */
  readonly currencies?: readonly string[];
  /** its days start at this offset from UTC (Alipay's and WeChat Pay's bills are in Beijing time: 480) */
  readonly dayOffsetMinutes: number;
  /** what a webhook it sends must be answered with, when not Ebb's JSON receipt (Alipay: the text `success`) */
  readonly acknowledgement?: { contentType: string; body: string };
  createPayment(input: CreatePaymentInput): Promise<CreatedPayment>;
  /** The payment as the provider holds it now (the client secret or code a customer pays with again). */
  retrievePayment(providerPaymentId: string, input: CreatePaymentInput): Promise<CreatedPayment>;
  /** The payment's status and amount at the provider now; null when it knows no such payment. */
  lookupPayment(providerPaymentId: string): Promise<ProviderPaymentRecord | null>;
  /** The payments captured and refunds made on one of the provider's days (`YYYY-MM-DD`): its list or bill. */
  statement(day: string): Promise<ProviderStatement>;
  /** Cancels a payment not paid yet; a payment already paid is a refusal (`ProviderRefusedError`). */
  cancelPayment(providerPaymentId: string): Promise<void>;
  refund(input: RefundInput): Promise<ProviderRefundState>;
  /** The refund now; one the provider never made is a refusal with the code REFUND_NOT_FOUND. */
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

/**
 * Ebb's own number for one attempt of a refund at Alipay and WeChat Pay (`out_request_no`,
 * `out_refund_no`): `<refundId>-<attempt>`, letters, digits, `_` and `-` only, as both accept.
 */
export const refundNumberOf = (refundId: string, attempt: number) => `${refundId}-${attempt}`;

/** The refund id and attempt in one of Ebb's refund numbers; undefined for a number Ebb did not make. */
export function parseRefundNumber(text: string | undefined): { refundId: string; attempt: number } | undefined {
  const match = text ? /^(ref_[A-Za-z0-9]+)-([1-9][0-9]{0,5})$/.exec(text) : null;
  return match ? { refundId: match[1], attempt: Number(match[2]) } : undefined;
}

/** The instants a provider's day covers: `[from, to)`, its midnight in its own time zone. */
export function dayRange(day: string, offsetMinutes: number): { from: Date; to: Date } {
  const from = new Date(Date.parse(`${day}T00:00:00Z`) - offsetMinutes * 60_000);
  return { from, to: new Date(from.getTime() + 86_400_000) };
}
