import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import type { Logger } from 'pino';
import { type OrderMessage, newId } from '@ebb/contracts';
import { IdempotencyStore, type Principal, recordIdempotentEffect } from '@ebb/http';
import { LOGGER } from '@ebb/observability';
import { OrderNotFoundError, OrderQueryClient } from '../orders/order-query.client';
import { type CreatedPayment, PAYMENT_PROVIDERS, type PaymentProvider, type PaymentProviders, type ProviderName, ProviderRefusedError } from '../providers/payment-provider';
import { PaymentErrorCode, paymentError } from './payment-errors';
import { Payment, type PaymentList, type PaymentView, type StartedPayment, paymentView } from './payment.entity';
import { applyPaymentAction, recordPaymentHistory } from './payment-lifecycle';
import { OPEN_PAYMENT_STATUSES } from './payment-state';

const notFound = (orderId: string) => paymentError(PaymentErrorCode.OrderNotFound, `No order ${orderId}.`);
const notPayable = (orderId: string, reason: 'paid' | 'cancelled' | 'nothing_to_pay', message: string) =>
  paymentError(PaymentErrorCode.OrderNotPayable, message, { orderId, reason });
const UNIQUE_VIOLATION = '23505';

/**
 * Starts payments. An order has one payment in flight: asking again answers that one (the customer
 * confirms the same intent, even after a declined card), a paid or cancelled order is not payable.
 * The payment row is saved first (one live payment per order, guarded by a unique index), then the
 * provider is asked, with the payment id as its idempotency key: asking again makes no second intent.
 */
@Injectable()
export class PaymentsService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly orders: OrderQueryClient,
    private readonly idempotency: IdempotencyStore,
    @Inject(PAYMENT_PROVIDERS) private readonly providers: PaymentProviders,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit() {
    // a payment request whose answer was lost is answered with the payment as it stands
    this.idempotency.answerEffects('payment', async (id) => this.answer(await this.dataSource.getRepository(Payment).findOneByOrFail({ id })));
  }

  /** POST /v1/payments: `created` says whether this request made the payment (201) or answers the one in flight (200). */
  async create(caller: Principal, orderId: string, providerName: ProviderName): Promise<{ created: boolean; payment: StartedPayment }> {
    const provider = this.providers[providerName];
    if (!provider) throw paymentError(PaymentErrorCode.ProviderNotSupported, `Payments through ${providerName} are not configured here.`, { provider: providerName });

    const order = await this.orders.getOrder(orderId).catch((error) => {
      if (error instanceof OrderNotFoundError) throw notFound(orderId);
      this.logger.error({ err: error, orderId }, 'OrderQuery.GetOrder failed');
      throw paymentError(PaymentErrorCode.OrderServiceUnavailable, 'The order could not be read; try again shortly.');
    });
    // a customer learns nothing about other customers' orders, not even that they exist
    if (caller.role === 'customer' && order.customerId !== caller.sub) throw notFound(orderId);
    if (order.status === 'cancelled') throw notPayable(orderId, 'cancelled', `Order ${orderId} is cancelled.`);
    if (order.paymentStatus !== 'pending' || order.capturedAmount > 0) throw notPayable(orderId, 'paid', `Order ${orderId} is already paid.`);
    if (!(order.totalAmount > 0)) throw notPayable(orderId, 'nothing_to_pay', `Order ${orderId} has nothing to pay.`);
    const currency = order.currency.toUpperCase();
    if (provider.currencies && !provider.currencies.includes(currency)) {
      throw paymentError(PaymentErrorCode.ProviderNotSupported, `${providerName} takes ${provider.currencies.join(', ')}, not ${currency}.`, { provider: providerName, currency });
    }

    const live = await this.livePayment(orderId);
    if (live?.status === 'succeeded') throw notPayable(orderId, 'paid', `Order ${orderId} is already paid.`);
    // the payment in flight is answered through its own provider, whichever the caller named
    if (live) return { created: false, payment: await this.answer(live) };

    let payment: Payment;
    try {
      payment = await this.insert(order, provider);
    } catch (error) {
      // another request started the order's payment a moment ago: answer that one
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
      const started = await this.livePayment(orderId);
      if (!started || started.status === 'succeeded') throw notPayable(orderId, 'paid', `Order ${orderId} is already paid.`);
      return { created: false, payment: await this.answer(started) };
    }
    return { created: true, payment: await this.answer(payment, provider) };
  }

  /** The order's one live payment (pending, failed but confirmable again, or succeeded), if any. */
  private livePayment(orderId: string): Promise<Payment | null> {
    return this.dataSource.getRepository(Payment).findOne({ where: { orderId, duplicate: false, status: In([...OPEN_PAYMENT_STATUSES, 'succeeded']) } });
  }

  // save first, then call: a crash after the provider call still leaves a row its webhook can find
  private async insert(order: OrderMessage, provider: PaymentProvider): Promise<Payment> {
    return this.dataSource.transaction(async (manager) => {
      const payment = Object.assign(new Payment(), {
        id: newId('pay'),
        orderId: order.id,
        customerId: order.customerId,
        email: order.email,
        provider: provider.name,
        providerPaymentId: null,
        status: 'pending',
        amount: order.totalAmount,
        currency: order.currency.toUpperCase(),
        capturedAmount: 0,
        refundedAmount: 0,
        failureReason: null,
        duplicate: false,
        createdAt: new Date(),
        updatedAt: new Date(),
      });
      await manager.getRepository(Payment).insert(payment);
      await recordPaymentHistory(manager, payment, 'create', `customer:${order.customerId}`);
      await recordIdempotentEffect(manager, `payment:${payment.id}`);
      return payment;
    });
  }

  /**
   * The payment with its client secret: the provider's intent is made (idempotently, keyed by the
   * payment id) if this payment has none yet, or read back; no transaction is open meanwhile.
   */
  private async answer(payment: Payment, provider = this.providers[payment.provider as ProviderName]): Promise<StartedPayment> {
    if (!provider || payment.status === 'succeeded' || payment.status === 'canceled') return paymentView(payment);
    let started: CreatedPayment;
    try {
      const input = { paymentId: payment.id, orderId: payment.orderId, amount: Number(payment.amount), currency: payment.currency };
      if (payment.providerPaymentId) {
        started = await provider.retrievePayment(payment.providerPaymentId, input);
      } else {
        const created = await provider.createPayment(input);
        started = created;
        payment.providerPaymentId = created.providerPaymentId;
        // a webhook may have recorded the id already; both write the same value
        await this.dataSource.query(`UPDATE payments SET provider_payment_id = $2, updated_at = now() WHERE id = $1`, [payment.id, created.providerPaymentId]);
      }
    } catch (error) {
      if (!(error instanceof ProviderRefusedError)) {
        // the provider may have made it (a lost answer): the payment stays pending, and asking again uses the same key
        this.logger.error({ err: error, paymentId: payment.id }, 'the provider did not answer for the payment');
        throw paymentError(PaymentErrorCode.ProviderUnavailable, 'The payment provider did not answer; try again shortly.');
      }
      this.logger.error({ err: error, paymentId: payment.id }, 'the provider refused the payment');
      if (payment.status === 'pending') {
        await this.dataSource.transaction(async (manager) => {
          const locked = await manager.getRepository(Payment).findOne({ where: { id: payment.id }, lock: { mode: 'pessimistic_write' } });
          if (locked?.status === 'pending') {
            await applyPaymentAction(manager, locked, 'fail', provider.name, { change: (p) => (p.failureReason = `provider_refused: ${error.message}`) });
          }
        });
      }
      throw paymentError(PaymentErrorCode.ProviderRefused, `The provider refused the payment: ${error.message}`);
    }
    return { ...paymentView(payment), ...(started.clientSecret ? { clientSecret: started.clientSecret } : {}), ...(started.qrCode ? { qrCode: started.qrCode } : {}) };
  }

  async get(caller: Principal, id: string): Promise<PaymentView> {
    const payment = await this.dataSource.getRepository(Payment).findOneBy({ id });
    if (!payment || (caller.role === 'customer' && payment.customerId !== caller.sub)) {
      throw paymentError(PaymentErrorCode.PaymentNotFound, `No payment ${id}.`);
    }
    return paymentView(payment);
  }

  async listForOrder(caller: Principal, orderId: string): Promise<PaymentList> {
    const payments = await this.dataSource.getRepository(Payment).find({
      where: caller.role === 'customer' ? { orderId, customerId: caller.sub } : { orderId },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    return { items: payments.map(paymentView) };
  }
}
