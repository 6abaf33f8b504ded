import { Injectable } from '@nestjs/common';
import { WebhookSender } from '../webhooks/webhook-sender';
import { StripeError, StripeErrorCode, noSuch } from './stripe-errors';
import {
  type Params,
  invalid,
  metadataOf,
  optionalBoolean,
  optionalString,
  requiredPositiveInt,
  requiredString,
  stripeId,
  unixNow,
} from './stripe-params';
import { stripeList } from './stripe-list';

export type PaymentIntentStatus = 'requires_payment_method' | 'requires_confirmation' | 'succeeded' | 'canceled';

export interface PaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  canceled_at: number | null;
  cancellation_reason: string | null;
  capture_method: 'automatic';
  client_secret: string;
  confirmation_method: 'automatic';
  created: number;
  currency: string;
  customer: string | null;
  description: string | null;
  last_payment_error: Record<string, unknown> | null;
  latest_charge: string | null;
  livemode: false;
  metadata: Record<string, string>;
  payment_method: string | null;
  payment_method_types: string[];
  status: PaymentIntentStatus;
}

/** Stripe's test payment methods: how a charge with each goes, and how its refunds go. */
const TEST_PAYMENT_METHODS: Record<string, { charge: 'succeeds' | 'declined'; refunds: 'succeed' | 'fail' }> = {
  pm_card_visa: { charge: 'succeeds', refunds: 'succeed' },
  pm_card_mastercard: { charge: 'succeeds', refunds: 'succeed' },
  pm_card_chargeDeclined: { charge: 'declined', refunds: 'succeed' },
  pm_card_refundFail: { charge: 'succeeds', refunds: 'fail' },
};

const CANCELLATION_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'];

export const refundsFailFor = (paymentMethod: string | null) => paymentMethod !== null && TEST_PAYMENT_METHODS[paymentMethod]?.refunds === 'fail';

const snapshot = <T>(value: T): T => structuredClone(value);

/** PaymentIntents in memory: create, retrieve, confirm with a test payment method. */
@Injectable()
export class PaymentIntentsService {
  private readonly intents = new Map<string, PaymentIntent>();

  constructor(private readonly webhooks: WebhookSender) {}

  create(params: Params): PaymentIntent {
    const amount = requiredPositiveInt(params, 'amount');
    const currency = requiredString(params, 'currency');
    if (!/^[a-zA-Z]{3}$/.test(currency)) throw invalid('currency', `Invalid currency: ${currency.toLowerCase()}`);
    const paymentMethod = optionalString(params, 'payment_method') ?? null;
    if (paymentMethod) this.knownPaymentMethod(paymentMethod);
    const id = stripeId('pi');
    const intent: PaymentIntent = {
      id,
      object: 'payment_intent',
      amount,
      amount_capturable: 0,
      amount_received: 0,
      canceled_at: null,
      cancellation_reason: null,
      capture_method: 'automatic',
      client_secret: `${id}_secret_${stripeId('s').slice(2)}`,
      confirmation_method: 'automatic',
      created: unixNow(),
      currency: currency.toLowerCase(),
      customer: optionalString(params, 'customer') ?? null,
      description: optionalString(params, 'description') ?? null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: metadataOf(params),
      payment_method: paymentMethod,
      payment_method_types: ['card'],
      status: paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
    };
    this.intents.set(id, intent);
    if (optionalBoolean(params, 'confirm')) return this.confirm(id, {});
    return snapshot(intent);
  }

  retrieve(id: string): PaymentIntent {
    return snapshot(this.find(id));
  }

  /** Stripe's list of PaymentIntents, newest first, with `created` filters and cursors (reconciliation pages through it). */
  list(params: Params) {
    return stripeList([...this.intents.values()], params, '/v1/payment_intents', 'payment_intent');
  }

  /** The live intent, for refunds (which read its charge and payment method). */
  find(id: string, param?: string): PaymentIntent {
    const intent = this.intents.get(id);
    if (!intent) throw noSuch('payment_intent', id, param);
    return intent;
  }

  findByCharge(chargeId: string): PaymentIntent {
    for (const intent of this.intents.values()) if (intent.latest_charge === chargeId && intent.status === 'succeeded') return intent;
    throw noSuch('charge', chargeId, 'charge');
  }

  /** Charges the test payment method: succeeded, or a 402 card_declined leaving the intent to retry. */
  confirm(id: string, params: Params): PaymentIntent {
    const intent = this.find(id);
    const given = optionalString(params, 'payment_method');
    if (intent.status === 'succeeded' || intent.status === 'canceled') {
      throw new StripeError(
        StripeErrorCode.PaymentIntentUnexpectedState,
        `You cannot confirm this PaymentIntent because it has a status of ${intent.status}.`,
        { payment_intent: snapshot(intent) },
      );
    }
    const paymentMethod = given ?? intent.payment_method;
    if (!paymentMethod) {
      throw new StripeError(
        StripeErrorCode.PaymentIntentUnexpectedState,
        'You cannot confirm this PaymentIntent because it\'s missing a payment method.',
        { param: 'payment_method', payment_intent: snapshot(intent) },
      );
    }
    const method = this.knownPaymentMethod(paymentMethod);
    const chargeId = stripeId('ch');
    intent.payment_method = paymentMethod;
    intent.latest_charge = chargeId;
    if (method.charge === 'declined') {
      intent.status = 'requires_payment_method';
      intent.last_payment_error = {
        type: 'card_error',
        code: 'card_declined',
        decline_code: 'generic_decline',
        message: 'Your card was declined.',
        charge: chargeId,
        payment_method: { id: paymentMethod, object: 'payment_method', type: 'card' },
      };
      // Stripe keeps the declined method off the intent: the customer must give another
      intent.payment_method = null;
      this.webhooks.send('payment_intent.payment_failed', snapshot(intent));
      throw new StripeError(StripeErrorCode.CardDeclined, 'Your card was declined.', {
        decline_code: 'generic_decline',
        charge: chargeId,
        payment_intent: snapshot(intent),
        doc_url: 'https://stripe.com/docs/error-codes/card-declined',
      });
    }
    intent.status = 'succeeded';
    intent.amount_received = intent.amount;
    intent.last_payment_error = null;
    this.webhooks.send('payment_intent.succeeded', snapshot(intent));
    return snapshot(intent);
  }

  /** Cancels an intent not paid yet (an abandoned checkout); a paid one is refunded instead. */
  cancel(id: string, params: Params): PaymentIntent {
    const intent = this.find(id);
    const reason = optionalString(params, 'cancellation_reason') ?? null;
    if (reason && !CANCELLATION_REASONS.includes(reason)) throw invalid('cancellation_reason', `Invalid cancellation_reason: must be one of ${CANCELLATION_REASONS.join(', ')}`);
    if (intent.status === 'succeeded' || intent.status === 'canceled') {
      throw new StripeError(
        StripeErrorCode.PaymentIntentUnexpectedState,
        `You cannot cancel this PaymentIntent because it has a status of ${intent.status}.`,
        { payment_intent: snapshot(intent) },
      );
    }
    intent.status = 'canceled';
    intent.canceled_at = unixNow();
    intent.cancellation_reason = reason;
    this.webhooks.send('payment_intent.canceled', snapshot(intent));
    return snapshot(intent);
  }

  private knownPaymentMethod(paymentMethod: string) {
    const method = TEST_PAYMENT_METHODS[paymentMethod];
    if (!method) throw noSuch('PaymentMethod', paymentMethod, 'payment_method');
    return method;
  }
}
