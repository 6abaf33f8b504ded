import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { newId } from '@ebb/contracts';
import type { Principal } from '@ebb/http';
import { LOGGER } from '@ebb/observability';
import { OrderNotFoundError, OrderQueryClient } from '../orders/order-query.client';
import { PAYMENT_PROVIDERS, type PaymentProviders, type ProviderName, ProviderRefusedError } from '../providers/payment-provider';
import { PaymentErrorCode, paymentError } from './payment-errors';
import { Payment, paymentView } from './payment.entity';

const notFound = (orderId: string) => paymentError(PaymentErrorCode.OrderNotFound, `No order ${orderId}.`);

/** Starts payments: reads the order from order-service, saves the payment, then asks the provider. */
@Injectable()
export class PaymentsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly orders: OrderQueryClient,
    @Inject(PAYMENT_PROVIDERS) private readonly providers: PaymentProviders,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async create(caller: Principal, orderId: string, providerName: ProviderName) {
    const provider = this.providers[providerName];
    if (!provider) throw paymentError(PaymentErrorCode.ProviderNotSupported, `Payments through ${providerName} are not supported yet.`);

    const order = await this.orders.getOrder(orderId).catch((error) => {
      if (error instanceof OrderNotFoundError) throw notFound(orderId);
      this.logger.error({ err: error, orderId }, 'OrderQuery.GetOrder failed');
      throw paymentError(PaymentErrorCode.OrderServiceUnavailable, 'The order could not be read; try again shortly.');
    });
    // a customer learns nothing about other customers' orders, not even that they exist
    if (caller.role === 'customer' && order.customerId !== caller.sub) throw notFound(orderId);
    if (order.status === 'cancelled') throw paymentError(PaymentErrorCode.OrderCancelled, `Order ${orderId} is cancelled.`);
    if (order.paymentStatus !== 'pending' || order.capturedAmount > 0) {
      throw paymentError(PaymentErrorCode.OrderAlreadyPaid, `Order ${orderId} is already paid.`);
    }
    if (!(order.totalAmount > 0)) throw paymentError(PaymentErrorCode.OrderNotPayable, `Order ${orderId} has nothing to pay.`);
    const paid = await this.dataSource.getRepository(Payment).existsBy({ orderId, status: 'succeeded' });
    if (paid) throw paymentError(PaymentErrorCode.OrderAlreadyPaid, `Order ${orderId} is already paid.`);

    // save first, then call: a crash after the provider call still leaves a row its webhook can find
    const payment = await this.dataSource.getRepository(Payment).save(
      Object.assign(new Payment(), {
        id: newId('pay'),
        orderId,
        customerId: order.customerId,
        provider: provider.name,
        providerPaymentId: null,
        status: 'pending',
        amount: order.totalAmount,
        currency: order.currency.toUpperCase(),
        capturedAmount: 0,
        refundedAmount: 0,
        failureReason: null,
      }),
    );

    let created;
    try {
      created = await provider.createPayment({ paymentId: payment.id, orderId, amount: payment.amount, currency: payment.currency });
    } catch (error) {
      const refused = error instanceof ProviderRefusedError;
      this.logger.error({ err: error, paymentId: payment.id }, 'the provider did not create the payment');
      // the provider may still have created it (a lost answer): a later webhook can move failed → succeeded
      await this.dataSource
        .getRepository(Payment)
        .update({ id: payment.id, status: 'pending' }, { status: 'failed', failureReason: refused ? `provider_refused: ${error.message}` : 'provider_unavailable', updatedAt: new Date() });
      throw refused
        ? paymentError(PaymentErrorCode.ProviderRefused, `The provider refused the payment: ${error.message}`)
        : paymentError(PaymentErrorCode.ProviderUnavailable, 'The payment provider did not answer; try again shortly.');
    }
    // a webhook may have recorded the id already; both write the same value
    await this.dataSource.query(`UPDATE payments SET provider_payment_id = $2, updated_at = now() WHERE id = $1`, [
      payment.id,
      created.providerPaymentId,
    ]);
    return {
      id: payment.id,
      orderId,
      provider: payment.provider,
      providerPaymentId: created.providerPaymentId,
      ...(created.clientSecret ? { clientSecret: created.clientSecret } : {}),
      status: 'pending' as const,
      amount: payment.amount,
      currency: payment.currency,
    };
  }

  async get(caller: Principal, id: string) {
    const payment = await this.dataSource.getRepository(Payment).findOneBy({ id });
    if (!payment || (caller.role === 'customer' && payment.customerId !== caller.sub)) {
      throw paymentError(PaymentErrorCode.PaymentNotFound, `No payment ${id}.`);
    }
    return paymentView(payment);
  }

  async listForOrder(caller: Principal, orderId: string) {
    const payments = await this.dataSource.getRepository(Payment).find({
      where: caller.role === 'customer' ? { orderId, customerId: caller.sub } : { orderId },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    return { items: payments.map(paymentView) };
  }
}
