import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { OrderCancelled } from '@ebb/contracts';
import { type IncomingMessage, MessageConsumer } from '@ebb/messaging';
import { LOGGER } from '@ebb/observability';
import { CallRefusedError, OutboundCalls, defineCall, recordCall } from '@ebb/outbound';
import { PAYMENT_PROVIDERS, type PaymentProviders, type ProviderName, ProviderRefusedError } from '../providers/payment-provider';
import { Payment } from './payment.entity';
import { applyPaymentAction } from './payment-lifecycle';
import { OPEN_PAYMENT_STATUSES } from './payment-state';

/** Cancels a payment's intent at the provider, so the customer can no longer pay a cancelled order. */
export const CancelPaymentAtProvider = defineCall<{ paymentId: string }>('provider.cancel-payment');

/**
 * `order.cancelled`: the order's open payment is cancelled here at once (so a payment that still
 * arrives is money to give back, not a capture) and at the provider after the commit. A provider that
 * says it was paid already is left to its webhook: that capture is refunded by the system.
 */
@Injectable()
export class CancelOpenPaymentHandler implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly consumer: MessageConsumer,
    private readonly calls: OutboundCalls,
    @Inject(PAYMENT_PROVIDERS) private readonly providers: PaymentProviders,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.consumer.on(OrderCancelled, 'payments.cancel-open-payment', (message, manager) => this.cancel(message, manager));
    this.calls.handle<{ paymentId: string }, void>(CancelPaymentAtProvider, {
      call: async ({ payload }) => {
        const payment = await this.dataSource.getRepository(Payment).findOneBy({ id: payload.paymentId });
        const provider = payment && this.providers[payment.provider as ProviderName];
        if (!payment?.providerPaymentId || !provider) return;
        await provider.cancelPayment(payment.providerPaymentId).catch((error: unknown) => {
          if (error instanceof ProviderRefusedError) throw new CallRefusedError(error.message, error.code);
          throw error;
        });
      },
      onResult: async () => undefined,
      onRefused: async (_manager, call, error) => {
        this.logger.warn({ paymentId: call.payload.paymentId, err: error.message }, 'the provider would not cancel the payment (paid already?); its webhook decides');
      },
    });
  }

  private async cancel({ payload }: IncomingMessage<OrderCancelled>, manager: EntityManager): Promise<void> {
    const open = await manager.getRepository(Payment).find({
      where: { orderId: payload.orderId, status: In([...OPEN_PAYMENT_STATUSES]) },
      lock: { mode: 'pessimistic_write' },
    });
    for (const payment of open) {
      await applyPaymentAction(manager, payment, 'cancel', 'order-service', { note: payload.reason });
      if (payment.providerPaymentId) await recordCall(manager, CancelPaymentAtProvider, payment.id, { paymentId: payment.id });
    }
  }
}
