import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { OrderMessage } from '@ebb/contracts';
import { LOGGER } from '@ebb/observability';
import { orderQueryService } from '@ebb/service';
import { ORDER_ENV } from '../order-env.token';
import type { OrderEnv } from '../config';
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
 * gRPC `OrderQuery` for the other services (payment and refund read an order's amounts here).
 * Listens once the application has bootstrapped; stops with it.
 */
@Injectable()
export class OrderQueryServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly server = new grpc.Server();
  private boundPort?: number;

  constructor(
    @Inject(ORDER_ENV) private readonly env: OrderEnv,
    private readonly dataSource: DataSource,
    private readonly orders: OrdersService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The port it listens on (the real one when ORDER_GRPC_PORT is 0). */
  get port(): number {
    if (this.boundPort === undefined) throw new Error('OrderQuery is not listening yet');
    return this.boundPort;
  }

  async onApplicationBootstrap() {
    this.server.addService(orderQueryDefinition(), {
      GetOrder: (call: grpc.ServerUnaryCall<{ orderId: string }, OrderMessage>, callback: grpc.sendUnaryData<OrderMessage>) => {
        this.getOrder(call.request.orderId).then(
          (order) => callback(null, order),
          (error: grpc.ServiceError) => callback(error),
        );
      },
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
