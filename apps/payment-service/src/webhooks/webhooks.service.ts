import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { z } from 'zod';
import { PaymentDuplicateCaptured as PaymentDuplicateCapturedEvent, type PaymentDuplicateCaptured, newId, PaymentSucceeded, PaymentFailed } from '@ebb/contracts';
import { addToOutbox } from '@ebb/messaging';
import { LOGGER } from '@ebb/observability';
import { PaymentErrorCode, paymentError } from '../payments/payment-errors';
import { Payment } from '../payments/payment.entity';
import { paymentMachine } from '../payments/payment-state';
import { applyPaymentAction, recordPaymentHistory } from '../payments/payment-lifecycle';
import {
  InvalidSignatureError,
  MalformedEventError,
  PAYMENT_PROVIDERS,
  type PaymentProvider,
  type PaymentProviders,
  type ProviderEvent,
  type ProviderName,
} from '../providers/payment-provider';
import { ProviderRefundsService } from '../refunds/provider-refunds.service';
import { OutsideRefunds } from '../refunds/outside-refunds';

type Outcome = 'applied' | 'unchanged' | 'stale' | 'unmatched' | 'ignored';

/** What `POST /v1/webhooks/:provider` answers a verified event: the OpenAPI answer, and the type `receive` builds. */
export const webhookReceiptSchema = z.strictObject({
  received: z.literal(true),
  duplicate: z.literal(true).optional().describe('an event id seen before: no effect'),
});
export type WebhookReceipt = z.infer<typeof webhookReceiptSchema>;

/** Verifies a provider webhook, records its event id once, and applies what it says in the same transaction. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly refunds: ProviderRefundsService,
    private readonly outside: OutsideRefunds,
    @Inject(PAYMENT_PROVIDERS) private readonly providers: PaymentProviders,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  provider(name: string): PaymentProvider {
    const provider = (this.providers as Record<string, PaymentProvider | undefined>)[name];
    if (!provider) throw paymentError(PaymentErrorCode.ProviderNotSupported, `Webhooks from ${name} are not supported.`);
    return provider;
  }

  async receive(providerName: string, rawBody: Buffer | undefined, headers: Record<string, string | string[] | undefined>): Promise<WebhookReceipt> {
    const provider = this.provider(providerName);
    let event: ProviderEvent;
    try {
      // verified on the exact bytes received: a re-serialised body would not match the signature
      event = provider.verifyWebhook(rawBody ?? Buffer.alloc(0), headers);
    } catch (error) {
      if (error instanceof MalformedEventError) {
        this.logger.warn({ provider: providerName, err: error.message }, 'webhook refused: not an event');
        throw paymentError(PaymentErrorCode.InvalidWebhookEvent, `The webhook body is not a ${providerName} event: ${error.message}`);
      }
      if (!(error instanceof InvalidSignatureError)) throw error;
      this.logger.warn({ provider: providerName, err: error.message }, 'webhook refused: bad signature');
      throw paymentError(PaymentErrorCode.InvalidSignature, 'The webhook signature does not verify.');
    }
    let nul = `${event.eventId}${event.type}`.includes('\0');
    const payload = JSON.stringify(event.payload, (key, value) => {
      nul ||= key.includes('\0') || (typeof value === 'string' && value.includes('\0'));
      return value;
    });
    // no provider sends a NUL character, and PostgreSQL's text cannot hold one: refused as the not-event it is
    if (nul) {
      this.logger.warn({ provider: providerName }, 'webhook refused: a NUL character in the event');
      throw paymentError(PaymentErrorCode.InvalidWebhookEvent, `The webhook body is not a ${providerName} event: it holds a NUL character.`);
    }
    return this.dataSource.transaction(async (manager): Promise<WebhookReceipt> => {
      // the provider may send an event again; its id makes the repeat a no-op
      const inserted: unknown[] = await manager.query(
        `INSERT INTO webhook_events (provider, event_id, type, outcome, payload) VALUES ($1, $2, $3, 'received', $4::jsonb)
         ON CONFLICT DO NOTHING RETURNING 1`,
        [provider.name, event.eventId, event.type, payload],
      );
      if (inserted.length === 0) return { received: true, duplicate: true };
      const outcome = await this.apply(manager, provider.name, event);
      await manager.query(`UPDATE webhook_events SET outcome = $3 WHERE provider = $1 AND event_id = $2`, [provider.name, event.eventId, outcome]);
      this.logger.info({ provider: provider.name, eventId: event.eventId, type: event.type, outcome }, 'webhook recorded');
      return { received: true };
    });
  }

  private async apply(manager: EntityManager, provider: string, event: ProviderEvent): Promise<Outcome> {
    switch (event.kind) {
      case 'payment_succeeded':
      case 'payment_failed':
        return this.applyPayment(manager, provider, event);
      case 'refund_updated': {
        const row = await this.refunds.findForReport(manager, event);
        if (row) return this.refunds.settleRow(manager, row, event);
        // a refund Ebb never made (the provider's dashboard): counted once the provider paid it
        if (event.status !== 'succeeded' || !event.providerPaymentId) return 'unmatched';
        return this.outside.observe(manager, provider as ProviderName, { providerRefundId: event.providerRefundId, providerPaymentId: event.providerPaymentId, amount: event.amount }, 'webhook');
      }
      case 'ignored':
        return 'ignored';
    }
  }

  /** Applies a payment the provider's records show (reconciliation's repair of a notification that never came), as its webhook would have. */
  applyPaymentRecord(manager: EntityManager, provider: string, event: Extract<ProviderEvent, { kind: 'payment_succeeded' }>): Promise<Outcome> {
    return this.applyPayment(manager, provider, event);
  }

  private async applyPayment(
    manager: EntityManager,
    provider: string,
    event: Extract<ProviderEvent, { kind: 'payment_succeeded' | 'payment_failed' }>,
  ): Promise<Outcome> {
    const repository = manager.getRepository(Payment);
    const lock = { mode: 'pessimistic_write' as const };
    let payment = event.paymentId ? await repository.findOne({ where: { id: event.paymentId, provider }, lock }) : null;
    // metadata names our payment, but the intent must be the one we created for it
    if (payment?.providerPaymentId && payment.providerPaymentId !== event.providerPaymentId) payment = null;
    payment ??= await repository.findOne({ where: { providerPaymentId: event.providerPaymentId, provider }, lock });
    if (!payment) return event.kind === 'payment_succeeded' ? this.captureOutsideEbb(manager, provider, event) : 'unmatched';

    if (event.kind === 'payment_failed') {
      // a late payment_failed after success (or a repeat) must not move the payment backwards
      if (!paymentMachine.can(payment.status, 'fail')) return payment.status === 'failed' ? 'unchanged' : 'stale';
      await applyPaymentAction(manager, payment, 'fail', provider, {
        note: event.reason,
        change: (p) => {
          p.failureReason = event.reason;
          p.providerPaymentId = event.providerPaymentId;
        },
      });
      await addToOutbox(manager, PaymentFailed, { paymentId: payment.id, orderId: payment.orderId, provider, reason: event.reason });
      return 'applied';
    }

    if (payment.status === 'succeeded') return 'unchanged';
    const captured = (p: Payment) => {
      p.providerPaymentId = event.providerPaymentId;
      p.capturedAmount = event.amountReceived;
      p.failureReason = null;
    };
    if (payment.status === 'canceled') {
      // paid after Ebb cancelled it (the order was cancelled): the money is recorded, and goes back
      await applyPaymentAction(manager, payment, 'capture_unwanted', provider, { note: 'paid after it was cancelled', change: (p) => (captured(p), (p.duplicate = true)) });
      await this.announceDuplicate(manager, payment, 'captured_after_cancel');
      return 'applied';
    }
    const other = await repository.findOne({ where: { orderId: payment.orderId, status: 'succeeded', duplicate: false } });
    if (other) {
      // the order was paid by another payment already (from before one payment per order was the rule)
      await applyPaymentAction(manager, payment, 'succeed', provider, { note: `second capture; the order was paid by ${other.id}`, change: (p) => (captured(p), (p.duplicate = true)) });
      await this.announceDuplicate(manager, payment, 'second_capture');
      return 'applied';
    }
    await applyPaymentAction(manager, payment, 'succeed', provider, { change: captured });
    await addToOutbox(manager, PaymentSucceeded, {
        paymentId: payment.id,
        orderId: payment.orderId,
        provider,
        providerPaymentId: event.providerPaymentId,
        amount: payment.capturedAmount,
        currency: payment.currency,
      });
    return 'applied';
  }

  /**
   * A payment the provider took for one of our orders that Ebb never made (an intent created at the
   * provider, outside Ebb): recorded as a duplicate of the order's payment, and refunded by the system.
   * An order we hold no payment for at all is not ours to judge: logged as unmatched.
   */
  private async captureOutsideEbb(manager: EntityManager, provider: string, event: Extract<ProviderEvent, { kind: 'payment_succeeded' }>): Promise<Outcome> {
    if (!event.orderId) return 'unmatched';
    const sibling = await manager.getRepository(Payment).findOne({ where: { orderId: event.orderId }, order: { createdAt: 'ASC' } });
    if (!sibling) return 'unmatched';
    const payment = Object.assign(new Payment(), {
      id: newId('pay'),
      orderId: event.orderId,
      customerId: sibling.customerId,
      email: sibling.email,
      provider,
      providerPaymentId: event.providerPaymentId,
      status: 'succeeded',
      amount: event.amountReceived,
      currency: event.currency,
      capturedAmount: event.amountReceived,
      refundedAmount: 0,
      failureReason: null,
      duplicate: true,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    await manager.getRepository(Payment).insert(payment);
    await recordPaymentHistory(manager, payment, 'create', provider, 'captured at the provider outside Ebb');
    await this.announceDuplicate(manager, payment, 'second_capture');
    this.logger.warn({ orderId: event.orderId, paymentId: payment.id, providerPaymentId: event.providerPaymentId }, 'a second capture for an order; refunding it');
    return 'applied';
  }

  private async announceDuplicate(manager: EntityManager, payment: Payment, cause: PaymentDuplicateCaptured['cause']): Promise<void> {
    await addToOutbox(manager, PaymentDuplicateCapturedEvent, {
        paymentId: payment.id,
        orderId: payment.orderId,
        customerId: payment.customerId,
        email: payment.email ?? '',
        provider: payment.provider,
        providerPaymentId: payment.providerPaymentId ?? '',
        // TypeORM's insert writes the database's text of a bigint back onto the entity
        amount: Number(payment.capturedAmount),
        currency: payment.currency,
        cause,
      } satisfies PaymentDuplicateCaptured);
  }
}
