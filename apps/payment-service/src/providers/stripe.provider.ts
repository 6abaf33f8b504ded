import Stripe from 'stripe';
import { z } from 'zod';
import {
  type CreatePaymentInput,
  type CreatedPayment,
  InvalidSignatureError,
  MalformedEventError,
  type PaymentProvider,
  type ProviderEvent,
  type ProviderPaymentRecord,
  ProviderRefusedError,
  type ProviderRefundRecord,
  type ProviderRefundState,
  type ProviderStatement,
  REFUND_NOT_FOUND,
  dayRange,
  type RefundInput,
  type RefundReference,
} from './payment-provider';
import { measured } from './provider-metrics';

export interface StripeProviderOptions {
  secretKey: string;
  webhookSecret: string;
  /** `http://127.0.0.1:4010` for the sandbox, `https://api.stripe.com` in production */
  apiBase: string;
}

/** Stripe's refund status in our words: canceled counts as failed, anything unsettled as pending. */
function refundState(refund: Stripe.Refund): ProviderRefundState {
  const reason = refund.failure_reason ?? (refund.status === 'canceled' ? 'canceled' : undefined);
  const status = refund.status === 'succeeded' ? 'succeeded' : refund.status === 'failed' || refund.status === 'canceled' ? 'failed' : 'pending';
  return { providerRefundId: refund.id, status, amount: refund.amount, ...(status === 'failed' ? { reason: reason ?? 'failed' } : {}) };
}

/** An intent as reconciliation reads it: paid (succeeded), given up (canceled), or still open. */
function paymentRecord(intent: Stripe.PaymentIntent): ProviderPaymentRecord {
  const status = intent.status === 'succeeded' ? 'succeeded' : intent.status === 'canceled' ? 'canceled' : 'pending';
  return { providerPaymentId: intent.id, status, amount: intent.amount_received, currency: intent.currency.toUpperCase() };
}

function refundRecord(refund: Stripe.Refund): ProviderRefundRecord {
  const attempt = Number(refund.metadata?.attempt);
  return {
    providerRefundId: refund.id,
    providerPaymentId: typeof refund.payment_intent === 'string' ? refund.payment_intent : (refund.payment_intent?.id ?? ''),
    status: refundState(refund).status,
    amount: refund.amount,
    currency: refund.currency.toUpperCase(),
    ...(refund.metadata?.refundId && Number.isInteger(attempt) && attempt > 0 ? { refundId: refund.metadata.refundId, attempt } : {}),
  };
}

// what Ebb reads of an event, checked after the signature: a signed body need not be a well-formed event
const metadata = z.record(z.string(), z.string()).nullish();
const eventShape = z.object({ id: z.string().min(1).max(255), type: z.string().min(1).max(255), data: z.object({ object: z.looseObject({}) }) });
const intentShape = z.looseObject({
  id: z.string().min(1).max(255),
  amount_received: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  currency: z.string().length(3),
  metadata,
});
const refundShape = z.looseObject({
  id: z.string().min(1).max(255),
  status: z.string().nullish(),
  failure_reason: z.string().nullish(),
  amount: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  currency: z.string().length(3).optional(),
  payment_intent: z.string().min(1).max(255).nullish(),
  metadata,
});
const SHAPE_BY_TYPE: Record<string, z.ZodType> = {
  'payment_intent.succeeded': intentShape,
  'payment_intent.payment_failed': intentShape.partial({ amount_received: true, currency: true }),
  'refund.created': refundShape,
  'refund.updated': refundShape,
  'refund.failed': refundShape,
  'charge.refund.updated': refundShape,
};

function wellFormed(event: unknown): Stripe.Event {
  const base = eventShape.safeParse(event);
  const object = base.success ? SHAPE_BY_TYPE[base.data.type]?.safeParse(base.data.data.object) : undefined;
  const failure = !base.success ? base.error : object && !object.success ? object.error : undefined;
  if (failure) {
    const issue = failure.issues[0];
    const where = base.success ? ['data', 'object', ...(issue?.path ?? [])] : (issue?.path ?? []);
    throw new MalformedEventError(`${where.join('.') || 'the body'}: ${issue?.message ?? 'invalid'}`);
  }
  return event as Stripe.Event;
}

/** The Stripe adapter, on the official SDK (pointed at the sandbox in development and tests). */
export class StripeProvider implements PaymentProvider {
  readonly name = 'stripe' as const;
  readonly dayOffsetMinutes = 0;
  private readonly stripe: Stripe;

  constructor(private readonly options: StripeProviderOptions) {
    const base = new URL(options.apiBase);
    const protocol = base.protocol === 'http:' ? 'http' : 'https';
    this.stripe = new Stripe(options.secretKey, {
      host: base.hostname,
      port: base.port || (protocol === 'http' ? 80 : 443),
      protocol,
      maxNetworkRetries: 2,
      timeout: 20000,
      telemetry: false,
    });
  }

  // a 4xx from Stripe is a refusal of this exact request; 409/429 and 5xx may pass on a retry
  private refusal(error: unknown): unknown {
    if (error instanceof Stripe.errors.StripeError) {
      const status = error.statusCode ?? 0;
      if (status >= 400 && status < 500 && status !== 409 && status !== 429) return new ProviderRefusedError(error.message, error.code);
    }
    return error;
  }

  async createPayment(input: CreatePaymentInput): Promise<CreatedPayment> {
    const intent = await measured(this.name, 'create_payment', () =>
      this.stripe.paymentIntents.create(
        { amount: input.amount, currency: input.currency.toLowerCase(), metadata: { orderId: input.orderId, paymentId: input.paymentId } },
        { idempotencyKey: input.paymentId },
      ),
    ).catch((error) => {
      throw this.refusal(error);
    });
    return { providerPaymentId: intent.id, clientSecret: intent.client_secret ?? undefined };
  }

  async lookupPayment(providerPaymentId: string): Promise<ProviderPaymentRecord | null> {
    try {
      return paymentRecord(await measured(this.name, 'retrieve_payment', () => this.stripe.paymentIntents.retrieve(providerPaymentId)));
    } catch (error) {
      if (error instanceof Stripe.errors.StripeError && error.statusCode === 404) return null;
      throw error;
    }
  }

  /** A UTC day's intents and refunds, from Stripe's lists (`created` range, every page). */
  async statement(day: string): Promise<ProviderStatement> {
    const { from, to } = dayRange(day, this.dayOffsetMinutes);
    const created = { gte: Math.floor(from.getTime() / 1000), lt: Math.floor(to.getTime() / 1000) };
    return measured(this.name, 'statement', async () => {
      const statement: ProviderStatement = { payments: [], refunds: [] };
      for await (const intent of this.stripe.paymentIntents.list({ created, limit: 100 })) statement.payments.push(paymentRecord(intent));
      for await (const refund of this.stripe.refunds.list({ created, limit: 100 })) statement.refunds.push(refundRecord(refund));
      return statement;
    });
  }

  async retrievePayment(providerPaymentId: string): Promise<CreatedPayment> {
    const intent = await measured(this.name, 'retrieve_payment', () => this.stripe.paymentIntents.retrieve(providerPaymentId)).catch((error) => {
      throw this.refusal(error);
    });
    return { providerPaymentId: intent.id, clientSecret: intent.client_secret ?? undefined };
  }

  async cancelPayment(providerPaymentId: string): Promise<void> {
    await measured(this.name, 'cancel_payment', () =>
      this.stripe.paymentIntents.cancel(providerPaymentId, {}, { idempotencyKey: `cancel:${providerPaymentId}` }),
    ).catch((error) => {
      throw this.refusal(error);
    });
  }

  async findRefund(reference: RefundReference): Promise<ProviderRefundState | null> {
    // Stripe cannot search refunds by metadata: list the payment's refunds (few) and match ours
    const found = await measured(this.name, 'find_refund', async () => {
      for await (const refund of this.stripe.refunds.list({ payment_intent: reference.providerPaymentId, limit: 100 })) {
        if (refund.metadata?.refundId === reference.refundId && refund.metadata?.attempt === String(reference.attempt)) return refund;
      }
      return null;
    });
    return found && refundState(found);
  }

  async refund(input: RefundInput): Promise<ProviderRefundState> {
    const refund = await measured(this.name, 'refund', () =>
      this.stripe.refunds.create(
        {
          payment_intent: input.providerPaymentId,
          amount: input.amount,
          metadata: { refundId: input.refundId, attempt: String(input.attempt) },
        },
        { idempotencyKey: input.idempotencyKey },
      ),
    ).catch((error) => {
      throw this.refusal(error);
    });
    return refundState(refund);
  }

  async retrieveRefund(providerRefundId: string): Promise<ProviderRefundState> {
    const refund = await measured(this.name, 'retrieve_refund', () => this.stripe.refunds.retrieve(providerRefundId)).catch((error) => {
      if (error instanceof Stripe.errors.StripeError && error.statusCode === 404) throw new ProviderRefusedError(error.message, REFUND_NOT_FOUND);
      throw error;
    });
    return refundState(refund);
  }

  verifyWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): ProviderEvent {
    const signature = headers['stripe-signature'];
    if (typeof signature !== 'string' || signature === '') throw new InvalidSignatureError('the Stripe-Signature header is missing');
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(rawBody, signature, this.options.webhookSecret);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeSignatureVerificationError) throw new InvalidSignatureError(error.message);
      // the SDK parses the body only once the signature verified: what fails after that is the body's
      throw new MalformedEventError(error instanceof SyntaxError ? 'the body is not JSON' : (error as Error).message);
    }
    event = wellFormed(event);
    const base = { eventId: event.id, type: event.type, payload: event };
    switch (event.type) {
      case 'payment_intent.succeeded': {
        const intent = event.data.object;
        return {
          ...base,
          kind: 'payment_succeeded',
          providerPaymentId: intent.id,
          paymentId: intent.metadata?.paymentId,
          orderId: intent.metadata?.orderId,
          amountReceived: intent.amount_received,
          currency: intent.currency.toUpperCase(),
        };
      }
      case 'payment_intent.payment_failed': {
        const intent = event.data.object;
        const failure = intent.last_payment_error;
        return {
          ...base,
          kind: 'payment_failed',
          providerPaymentId: intent.id,
          paymentId: intent.metadata?.paymentId,
          reason: failure?.decline_code ?? failure?.code ?? failure?.message ?? 'payment_failed',
        };
      }
      case 'refund.created':
      case 'refund.updated':
      case 'refund.failed':
      case 'charge.refund.updated': {
        const refund = event.data.object;
        const state = refundState(refund);
        const attempt = Number(refund.metadata?.attempt);
        return {
          ...base,
          kind: 'refund_updated',
          ...state,
          // refund.failed says so whatever the object's status reads
          ...(event.type === 'refund.failed' ? { status: 'failed' as const, reason: state.reason ?? refund.failure_reason ?? 'failed' } : {}),
          refundId: refund.metadata?.refundId,
          attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : undefined,
          providerPaymentId: typeof refund.payment_intent === 'string' ? refund.payment_intent : undefined,
          amount: typeof refund.amount === 'number' ? refund.amount : undefined,
          currency: typeof refund.currency === 'string' ? refund.currency.toUpperCase() : undefined,
        };
      }
      default:
        return { ...base, kind: 'ignored' };
    }
  }
}
