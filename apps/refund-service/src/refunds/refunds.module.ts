import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ServiceIdentity } from '@ebb/http';
import { CarrierClient } from '../carrier/carrier.client';
import { REFUND_ENV, type RefundEnv } from '../config';
import { OrderQueryClient } from '../orders/order-query.client';
import { PoliciesModule } from '../policies/policies.module';
import { HoldGoodsHandler } from './hold-goods.handler';
import { SystemRefundsHandler } from './system-refunds.handler';
import { InterceptionHandler } from './interception.handler';
import { PaymentResultsHandler } from './payment-results.handler';
import { OutsideRefundsHandler } from './outside-refunds.handler';
import { RefundController } from './refund.controller';
import { RefundActions } from './refund-actions';
import { RefundQueries } from './refund-queries';
import { RefundRequests } from './refund-requests';
import { RefundUnitOfWork } from './refund-unit-of-work';
import { RefundTimers } from './refund-timers';
import { OrderRefundsController } from './order-refunds.controller';
import { CARRIER } from './refund-tokens';
import { VoucherStore } from '../vouchers/voucher-store';

/** Refund requests, their lifecycle, parcel interception and the payment results that settle them. */
@Module({})
export class RefundsModule implements OnApplicationShutdown {
  constructor(@Inject(OrderQueryClient) private readonly orders: OrderQueryClient) {}

  static forRoot(env: RefundEnv): DynamicModule {
    const policies = PoliciesModule.forRoot(env);
    return {
      module: RefundsModule,
      imports: [policies],
      controllers: [RefundController, OrderRefundsController],
      providers: [
        { provide: REFUND_ENV, useValue: env },
        { provide: OrderQueryClient, useFactory: (identity: ServiceIdentity) => new OrderQueryClient(env.ORDER_GRPC_URL, env.ORDER_GRPC_DEADLINE_MS, identity), inject: [ServiceIdentity] },
        { provide: CARRIER, useFactory: () => new CarrierClient(env.CARRIER_URL, env.CARRIER_TIMEOUT_MS) },
        RefundUnitOfWork,
        RefundRequests,
        RefundActions,
        RefundQueries,
        PaymentResultsHandler,
        InterceptionHandler,
        HoldGoodsHandler,
        SystemRefundsHandler,
        RefundTimers,
        OutsideRefundsHandler,
        VoucherStore,
      ],
      // what the policy migration shares with refunds: order-service, the environment, the policies
      exports: [OrderQueryClient, REFUND_ENV, policies],
    };
  }

  onApplicationShutdown() {
    this.orders.close();
  }
}
