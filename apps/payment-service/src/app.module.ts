import { type DynamicModule, Module } from '@nestjs/common';
import { ServiceIdentity } from '@ebb/http';
import { platformImports } from '@ebb/service';
import { PAYMENT_ENV, type PaymentEnv } from './config';
import { paymentMigrations } from './migrations';
import { OrderQueryClient } from './orders/order-query.client';
import { Payment } from './payments/payment.entity';
import { PaymentsController } from './payments/payments.controller';
import { PaymentsService } from './payments/payments.service';
import { CancelOpenPaymentHandler } from './payments/cancel-open-payment.handler';
import { PAYMENT_PROVIDERS, type PaymentProviders } from './providers/payment-provider';
import { StripeProvider } from './providers/stripe.provider';
import { ProviderRefund } from './refunds/provider-refund.entity';
import { ProviderRefundsService } from './refunds/provider-refunds.service';
import { PendingRefundSync } from './refunds/pending-refund-sync';
import { ProviderRefundCalls } from './refunds/provider-refund-call';
import { ProviderRefundsController } from './refunds/provider-refunds.controller';
import { ProviderRefundOperations } from './refunds/provider-refund-operations';
import { RefundRefundingHandler } from './refunds/refund-refunding.handler';
import { WebhooksController } from './webhooks/webhooks.controller';
import { WebhooksService } from './webhooks/webhooks.service';

export const paymentEntities = [Payment, ProviderRefund];

/** payment-service: payments, provider webhooks and provider refunds. */
@Module({})
export class AppModule {
  static forRoot(env: PaymentEnv): DynamicModule {
    return {
      module: AppModule,
      imports: platformImports(env, {
        entities: paymentEntities,
        migrations: paymentMigrations,
        outbound: { pollMs: env.REFUND_DISPATCH_POLL_MS, concurrency: env.REFUND_DISPATCH_CONCURRENCY },
      }),
      controllers: [PaymentsController, WebhooksController, ProviderRefundsController],
      providers: [
        { provide: PAYMENT_ENV, useValue: env },
        {
          provide: OrderQueryClient,
          useFactory: (identity: ServiceIdentity) => new OrderQueryClient(env.ORDER_GRPC_URL, env.ORDER_GRPC_TIMEOUT_MS, identity),
          inject: [ServiceIdentity],
        },
        {
          provide: PAYMENT_PROVIDERS,
          useFactory: (): PaymentProviders => ({
            stripe: new StripeProvider({ secretKey: env.STRIPE_SECRET_KEY, webhookSecret: env.STRIPE_WEBHOOK_SECRET, apiBase: env.STRIPE_API_BASE }),
          }),
        },
        PaymentsService,
        CancelOpenPaymentHandler,
        WebhooksService,
        ProviderRefundsService,
        ProviderRefundCalls,
        ProviderRefundOperations,
        PendingRefundSync,
        RefundRefundingHandler,
      ],
    };
  }
}
