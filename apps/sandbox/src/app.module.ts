import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ObservabilityModule, createLogger } from '@ebb/observability';
import { CarrierController } from './carrier/carrier.controller';
import { SANDBOX_ENV, type SandboxEnv } from './config';
import { FaultsController } from './faults/faults.controller';
import { FaultsService } from './faults/faults.service';
import { MailController } from './mail/mail.controller';
import { SmtpSink } from './mail/smtp-sink';
import { SandboxExceptionFilter } from './sandbox-exception.filter';
import { PaymentIntentsController } from './stripe/payment-intents.controller';
import { PaymentIntentsService } from './stripe/payment-intents.service';
import { RefundsController } from './stripe/refunds.controller';
import { RefundsService } from './stripe/refunds.service';
import { StripeRequestService } from './stripe/stripe-request.service';
import { WebhookSender } from './webhooks/webhook-sender';
import { WebhooksController } from './webhooks/webhooks.controller';
import { AlipayGatewayController } from './alipay/alipay-gateway.controller';
import { AlipayTradesService } from './alipay/alipay-trades.service';
import { NotificationsController } from './notify/notifications.controller';
import { NotifySender } from './notify/notify-sender';
import { WechatPayController } from './wechatpay/wechatpay.controller';
import { WechatPayOrdersService } from './wechatpay/wechatpay-orders.service';

/** The outside world in one process, in memory: Stripe, Alipay, WeChat Pay, a carrier, an SMTP server. No database, no bus. */
@Module({})
export class AppModule {
  static forRoot(env: SandboxEnv): DynamicModule {
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot({ service: 'sandbox', logger: createLogger('sandbox', env.LOG_LEVEL) })],
      controllers: [PaymentIntentsController, RefundsController, WebhooksController, FaultsController, CarrierController, MailController, AlipayGatewayController, WechatPayController, NotificationsController],
      providers: [
        { provide: SANDBOX_ENV, useValue: env },
        { provide: APP_FILTER, useClass: SandboxExceptionFilter },
        FaultsService,
        WebhookSender,
        StripeRequestService,
        PaymentIntentsService,
        RefundsService,
        SmtpSink,
        NotifySender,
        AlipayTradesService,
        WechatPayOrdersService,
      ],
    };
  }
}
