import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { REFUND_ENV, type RefundEnv } from '../config';
import { OrderQueryClient } from '../orders/order-query.client';
import { PaymentResultsHandler } from './payment-results.handler';
import { RefundController } from './refund.controller';
import { RefundService } from './refund.service';

/** Refund requests, their lifecycle and the payment results that settle them. */
@Module({})
export class RefundsModule implements OnApplicationShutdown {
  constructor(@Inject(OrderQueryClient) private readonly orders: OrderQueryClient) {}

  static forRoot(env: RefundEnv): DynamicModule {
    return {
      module: RefundsModule,
      controllers: [RefundController],
      providers: [
        { provide: REFUND_ENV, useValue: env },
        { provide: OrderQueryClient, useFactory: () => new OrderQueryClient(env.ORDER_GRPC_URL, env.ORDER_GRPC_DEADLINE_MS) },
        RefundService,
        PaymentResultsHandler,
      ],
    };
  }

  onApplicationShutdown() {
    this.orders.close();
  }
}
