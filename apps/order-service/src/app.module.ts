import { type DynamicModule, Module } from '@nestjs/common';
import { platformImports } from '@ebb/service';
import { ORDER_ENV, type OrderEnv } from './config';
import { OrderQueryServer } from './grpc/order-query.server';
import { Orders1764100000000 } from './migrations/orders.migration';
import { OrderRefundHolds1764100000100 } from './migrations/refund-holds.migration';
import { OrderDuplicatePayments1764100000200 } from './migrations/duplicate-payments.migration';
import { OrderSupportFlags1765600000000 } from './migrations/support-flags.migration';
import { OrderSellerSales1765712000000 } from './migrations/seller-sales.migration';
import { OrderLocalesAndPromises1766100000000 } from './migrations/locales-and-promises.migration';
import { jobsMigrations } from '@ebb/jobs';
import { ShipDeadlineHandler } from './orders/ship-deadline.handler';
import { PriceErrors } from './orders/price-errors';
import { OrderEventsHandler } from './orders/order-events.handler';
import { orderEntities } from './orders/order.entity';
import { OrdersController } from './orders/orders.controller';
import { OrdersService } from './orders/orders.service';

/** order-service's own schema, after the libraries' tables. */
export const orderMigrations = [
  Orders1764100000000,
  OrderRefundHolds1764100000100,
  OrderDuplicatePayments1764100000200,
  OrderSupportFlags1765600000000,
  OrderSellerSales1765712000000,
  ...jobsMigrations,
  OrderLocalesAndPromises1766100000000,
];

@Module({})
export class AppModule {
  static forRoot(env: OrderEnv): DynamicModule {
    return {
      module: AppModule,
      imports: platformImports(env, { entities: orderEntities, migrations: orderMigrations, jobs: true }),
      controllers: [OrdersController],
      providers: [{ provide: ORDER_ENV, useValue: env }, OrdersService, OrderEventsHandler, OrderQueryServer, ShipDeadlineHandler, PriceErrors],
    };
  }
}
