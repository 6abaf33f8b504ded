import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { type GoodsLine, type HoldGoodsAnswer, LAST_SALES_MAX_SELLERS, type OrderMessage, type SellerSaleMessage } from '@ebb/contracts';
import { ApiError, type CallerSecrets, JWT_SECRET, checkServiceCaller } from '@ebb/http';
import { LOGGER } from '@ebb/observability';
import { orderQueryService } from '@ebb/service';
import { ORDER_ENV, type OrderEnv } from '../config';
import { OrdersService } from '../orders/orders.service';
import { toOrderMessage } from '../orders/order.view';

/** How long a stop waits for calls in flight before cutting them off. */
const SHUTDOWN_GRACE_MS = 5000;

type ServiceDefinition = grpc.ServiceDefinition;

/** An error grpc-js sends as that status, with `details` as the message the client sees. */
function grpcError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}

function orderQueryDefinition(): ServiceDefinition {
  return orderQueryService().service;
}

/**
 * gRPC `OrderQuery` for the other services (payment and refund read an order's amounts here, refund-service
 * when each seller last sold), and
 * for them only: every call carries a `service` token (UNAUTHENTICATED without a valid one,
 * PERMISSION_DENIED for a person's token). Listens once the application has bootstrapped; stops with it.
 */
@Injectable()
export class OrderQueryServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly server = new grpc.Server();
  private boundPort?: number;

  constructor(
    @Inject(ORDER_ENV) private readonly env: OrderEnv,
    private readonly dataSource: DataSource,
    private readonly orders: OrdersService,
    @Inject(JWT_SECRET) private readonly secrets: CallerSecrets,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Answers a call only when it comes from another service. */
  private fromService<Q, A>(answer: (request: Q) => Promise<A>) {
    return (call: grpc.ServerUnaryCall<Q, A>, callback: grpc.sendUnaryData<A>) => {
      const caller = checkServiceCaller(call.metadata.get('authorization')[0]?.toString(), this.secrets);
      if ('refused' in caller) {
        this.logger.warn({ method: call.getPath(), refused: caller.refused, peer: call.getPeer() }, 'OrderQuery call refused');
        return callback(grpcError(caller.refused === 'forbidden' ? grpc.status.PERMISSION_DENIED : grpc.status.UNAUTHENTICATED, caller.message));
      }
      answer(call.request).then(
        (result) => callback(null, result),
        (error: grpc.ServiceError) => callback(error),
      );
    };
  }

  /** The port it listens on (the real one when ORDER_GRPC_PORT is 0). */
  get port(): number {
    if (this.boundPort === undefined) throw new Error('OrderQuery is not listening yet');
    return this.boundPort;
  }

  async onApplicationBootstrap() {
    this.server.addService(orderQueryDefinition(), {
      GetOrder: this.fromService<{ orderId: string }, OrderMessage>(({ orderId }) => this.getOrder(orderId)),
      HoldGoodsForRefund: this.fromService<{ orderId: string; refundId: string; items: GoodsLine[] }, HoldGoodsAnswer>((request) => this.holdGoods(request)),
      LastSales: this.fromService<{ sellerIds: string[] }, { sales: SellerSaleMessage[] }>((request) => this.lastSales(request.sellerIds)),
    });
    const address = `${this.env.ORDER_GRPC_HOST}:${this.env.ORDER_GRPC_PORT}`;
    this.boundPort = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
    );
    this.logger.info({ port: this.boundPort }, 'OrderQuery gRPC listening');
  }

  private async getOrder(orderId: string): Promise<OrderMessage> {
    if (!orderId) throw grpcError(grpc.status.INVALID_ARGUMENT, 'order_id is required');
    let found;
    try {
      found = await this.orders.load(this.dataSource.manager, orderId);
    } catch (error) {
      // the caller learns only that it may retry; the cause goes to the logs
      this.logger.error({ err: error, orderId }, 'OrderQuery.GetOrder failed');
      throw grpcError(grpc.status.UNAVAILABLE, 'the order could not be read');
    }
    if (!found) throw grpcError(grpc.status.NOT_FOUND, `no order ${orderId}`);
    return toOrderMessage(found);
  }

  private async holdGoods({ orderId, refundId, items }: { orderId: string; refundId: string; items: GoodsLine[] }): Promise<HoldGoodsAnswer> {
    if (!orderId || !refundId) throw grpcError(grpc.status.INVALID_ARGUMENT, 'order_id and refund_id are required');
    if (items.some((item) => !item.sku || !(item.quantity > 0))) throw grpcError(grpc.status.INVALID_ARGUMENT, 'every line needs a sku and a quantity');
    try {
      const { held, order } = await this.orders.holdGoods(orderId, refundId, items);
      return { held, order: toOrderMessage(order) };
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) throw grpcError(grpc.status.NOT_FOUND, `no order ${orderId}`);
      this.logger.error({ err: error, orderId, refundId }, 'OrderQuery.HoldGoodsForRefund failed');
      throw grpcError(grpc.status.UNAVAILABLE, 'the goods could not be held');
    }
  }

  private async lastSales(sellerIds: string[]): Promise<{ sales: SellerSaleMessage[] }> {
    if (sellerIds.length > LAST_SALES_MAX_SELLERS) throw grpcError(grpc.status.INVALID_ARGUMENT, `ask about at most ${LAST_SALES_MAX_SELLERS} sellers a call`);
    if (sellerIds.some((id) => !id)) throw grpcError(grpc.status.INVALID_ARGUMENT, 'every seller id must be non-empty');
    try {
      return { sales: await this.orders.lastSales(sellerIds) };
    } catch (error) {
      this.logger.error({ err: error }, 'OrderQuery.LastSales failed');
      throw grpcError(grpc.status.UNAVAILABLE, 'the sales could not be read');
    }
  }

  async onApplicationShutdown() {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, SHUTDOWN_GRACE_MS);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
