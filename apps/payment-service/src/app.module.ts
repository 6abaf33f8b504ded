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
import { AlipayProvider } from './providers/alipay.provider';
import { StripeProvider } from './providers/stripe.provider';
import { WechatPayProvider } from './providers/wechatpay/wechatpay.provider';
import { ProviderRefund } from './refunds/provider-refund.entity';
import { ProviderRefundsService } from './refunds/provider-refunds.service';
import { PendingRefundSync } from './refunds/pending-refund-sync';
import { ProviderRefundCalls } from './refunds/provider-refund-call';
import { ProviderRefundsController } from './refunds/provider-refunds.controller';
import { ProviderRefundOperations } from './refunds/provider-refund-operations';
import { RefundRefundingHandler } from './refunds/refund-refunding.handler';
import { OutsideRefunds } from './refunds/outside-refunds';
import { DailyReconciliation } from './reconciliation/daily-reconciliation';
import { ReconciliationRuns } from './reconciliation/reconciliation-runs';
import { ReconciliationsController } from './reconciliation/reconciliations.controller';
import { WebhooksController } from './webhooks/webhooks.controller';
import { WebhooksService } from './webhooks/webhooks.service';

export const paymentEntities = [Payment, ProviderRefund];

/** The adapters this environment configures: Stripe always, Alipay and WeChat Pay when their keys are given (always in development). */
export function paymentProviders(env: PaymentEnv): PaymentProviders {
  return {
    stripe: new StripeProvider({ secretKey: env.STRIPE_SECRET_KEY, webhookSecret: env.STRIPE_WEBHOOK_SECRET, apiBase: env.STRIPE_API_BASE }),
    ...(env.ALIPAY_ENABLED && {
      alipay: new AlipayProvider({
        appId: env.ALIPAY_APP_ID!,
        privateKey: env.ALIPAY_APP_PRIVATE_KEY!,
        alipayPublicKey: env.ALIPAY_PUBLIC_KEY!,
        gateway: env.ALIPAY_GATEWAY,
        notifyUrl: env.ALIPAY_NOTIFY_URL,
      }),
    }),
    ...(env.WECHATPAY_ENABLED && {
      wechatpay: new WechatPayProvider({
        apiBase: env.WECHATPAY_API_BASE,
        mchid: env.WECHATPAY_MCHID!,
        appid: env.WECHATPAY_APPID!,
        merchantSerial: env.WECHATPAY_MERCHANT_SERIAL!,
        merchantPrivateKey: env.WECHATPAY_MERCHANT_PRIVATE_KEY!,
        platformPublicKey: env.WECHATPAY_PLATFORM_PUBLIC_KEY!,
        platformPublicKeyId: env.WECHATPAY_PLATFORM_PUBLIC_KEY_ID!,
        apiV3Key: env.WECHATPAY_API_V3_KEY!,
        notifyUrl: env.WECHATPAY_NOTIFY_URL,
      }),
    }),
  };
}

/** payment-service: payments, provider webhooks, provider refunds and reconciliation. */
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
      controllers: [PaymentsController, WebhooksController, ProviderRefundsController, ReconciliationsController],
      providers: [
        { provide: PAYMENT_ENV, useValue: env },
        {
          provide: OrderQueryClient,
          useFactory: (identity: ServiceIdentity) => new OrderQueryClient(env.ORDER_GRPC_URL, env.ORDER_GRPC_TIMEOUT_MS, identity),
          inject: [ServiceIdentity],
        },
        {
          provide: PAYMENT_PROVIDERS,
          useFactory: (): PaymentProviders => paymentProviders(env),
        },
        PaymentsService,
        CancelOpenPaymentHandler,
        WebhooksService,
        ProviderRefundsService,
        ProviderRefundCalls,
        ProviderRefundOperations,
        PendingRefundSync,
        RefundRefundingHandler,
        OutsideRefunds,
        ReconciliationRuns,
        DailyReconciliation,
      ],
    };
  }
}
