import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { SANDBOX_ENV, type SandboxEnv } from '../config';
import { FaultsService } from '../faults/faults.service';
import { WebhookSender } from '../webhooks/webhook-sender';
import { PaymentIntentsService, refundsFailFor } from './payment-intents.service';
import { StripeError, StripeErrorCode, noSuch } from './stripe-errors';
import { type Params, invalid, metadataOf, missing, optionalPositiveInt, optionalString, stripeId, unixNow } from './stripe-params';
import { stripeList } from './stripe-list';
import { Timers } from '../timers';

export interface Refund {
  id: string;
  object: 'refund';
  amount: number;
  balance_transaction: string | null;
  charge: string;
  created: number;
  currency: string;
  failure_reason?: string;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: string | null;
  status: 'pending' | 'succeeded' | 'failed';
}

const REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'];

/**
 * Refunds in memory. A refund is `pending` at create and settles after SANDBOX_REFUND_SETTLE_MS:
 * `succeeded`, or `failed` for a payment made with pm_card_refundFail while that fault is on.
 */
@Injectable()
export class RefundsService implements OnModuleDestroy {
  // insertion order is creation order: the list reads it backwards, newest first as at Stripe
  private readonly refunds: Refund[] = [];
  private readonly timers = new Timers();

  constructor(
    @Inject(SANDBOX_ENV) private readonly env: SandboxEnv,
    private readonly intents: PaymentIntentsService,
    private readonly faults: FaultsService,
    private readonly webhooks: WebhookSender,
  ) {}

  create(params: Params): Refund {
    const intentId = optionalString(params, 'payment_intent');
    const chargeId = optionalString(params, 'charge');
    if (!intentId && !chargeId) throw missing('payment_intent');
    const intent = intentId ? this.intents.find(intentId, 'payment_intent') : this.intents.findByCharge(chargeId!);
    if (intent.status !== 'succeeded' || !intent.latest_charge) {
      throw new StripeError(StripeErrorCode.PaymentIntentUnexpectedState, `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, {
        param: 'payment_intent',
      });
    }
    if (chargeId && chargeId !== intent.latest_charge) throw noSuch('charge', chargeId, 'charge');
    const reason = optionalString(params, 'reason') ?? null;
    if (reason && !REASONS.includes(reason)) throw invalid('reason', `Invalid reason: must be one of ${REASONS.join(', ')}`);

    // a failed refund gives its amount back; pending and succeeded ones hold it
    const held = this.refunds.filter((r) => r.payment_intent === intent.id && r.status !== 'failed').reduce((sum, r) => sum + r.amount, 0);
    const left = intent.amount_received - held;
    if (left <= 0) {
      throw new StripeError(StripeErrorCode.ChargeAlreadyRefunded, `Charge ${intent.latest_charge} has already been refunded.`, { charge: intent.latest_charge });
    }
    const amount = optionalPositiveInt(params, 'amount') ?? left;
    if (amount > left) {
      throw new StripeError(
        StripeErrorCode.AmountTooLarge,
        `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`,
        { param: 'amount' },
      );
    }
    const refund: Refund = {
      id: stripeId('re'),
      object: 'refund',
      amount,
      balance_transaction: null,
      charge: intent.latest_charge,
      created: unixNow(),
      currency: intent.currency,
      metadata: metadataOf(params),
      payment_intent: intent.id,
      reason,
      status: 'pending',
    };
    this.refunds.push(refund);
    this.timers.later(this.env.SANDBOX_REFUND_SETTLE_MS, () => this.settle(refund, intent.payment_method));
    return structuredClone(refund);
  }

  retrieve(id: string): Refund {
    const refund = this.refunds.find((r) => r.id === id);
    if (!refund) throw noSuch('refund', id);
    return structuredClone(refund);
  }

  /** Stripe's list: newest first, `created` filters, `limit`, `starting_after`/`ending_before` cursors. */
  list(params: Params) {
    const intentId = optionalString(params, 'payment_intent');
    const chargeId = optionalString(params, 'charge');
    return stripeList(this.refunds, params, '/v1/refunds', 'refund', (r) => (!intentId || r.payment_intent === intentId) && (!chargeId || r.charge === chargeId));
  }

  onModuleDestroy() {
    this.timers.stop();
  }

  private settle(refund: Refund, paymentMethod: string | null) {
    // read when it settles, so clearing the fault lets the refunds made after it succeed
    const fails = refundsFailFor(paymentMethod) && this.faults.active.refundFailures;
    refund.status = fails ? 'failed' : 'succeeded';
    if (fails) refund.failure_reason = 'expired_or_canceled_card';
    else refund.balance_transaction = stripeId('txn');
    this.webhooks.send('refund.updated', structuredClone(refund), { status: 'pending' });
    if (fails) this.webhooks.send('refund.failed', structuredClone(refund));
  }

}
