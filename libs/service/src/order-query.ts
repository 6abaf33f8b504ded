import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { type GoodsLine, type HoldGoodsAnswer, LAST_SALES_MAX_SELLERS, ORDER_QUERY_PROTO, type OrderMessage, PROTO_LOADER_OPTIONS, type SellerSaleMessage } from '@ebb/contracts';
import type { ServiceIdentity } from '@ebb/http';

let loaded: grpc.ServiceClientConstructor | undefined;

/** order-service's OrderQuery, loaded once from its proto: clients construct it, servers add `.service`. */
export function orderQueryService(): grpc.ServiceClientConstructor {
  if (!loaded) {
    const root = grpc.loadPackageDefinition(protoLoader.loadSync(ORDER_QUERY_PROTO, PROTO_LOADER_OPTIONS)) as unknown as {
      ebb: { order: { v1: { OrderQuery: grpc.ServiceClientConstructor } } };
    };
    loaded = root.ebb.order.v1.OrderQuery;
  }
  return loaded;
}

/** The order does not exist (gRPC NOT_FOUND). */
export class OrderNotFoundError extends Error {}

/** order-service did not answer (down, timed out, or any other gRPC failure). */
export class OrderQueryUnavailableError extends Error {
  constructor(
    message: string,
    /** the gRPC status name, or EMPTY_RESPONSE */
    readonly grpcStatus: string,
  ) {
    super(message);
  }
}

type Unary<Q, A> = (request: Q, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, answer?: A) => void) => void;
type Stub = grpc.Client & {
  getOrder: Unary<{ orderId: string }, OrderMessage>;
  holdGoodsForRefund: Unary<{ orderId: string; refundId: string; items: GoodsLine[] }, HoldGoodsAnswer>;
  lastSales: Unary<{ sellerIds: string[] }, { sales: SellerSaleMessage[] }>;
};

/**
 * A client of order-service's OrderQuery with a deadline on every call, each carrying this service's
 * token (order-service answers other services only); amounts arrive as exact numbers.
 */
export class OrderQueryClient {
  private readonly stub: Stub;

  constructor(
    url: string,
    private readonly deadlineMs: number,
    private readonly identity: ServiceIdentity,
  ) {
    const OrderQuery = orderQueryService();
    this.stub = new OrderQuery(url, grpc.credentials.createInsecure()) as unknown as Stub;
  }

  getOrder(orderId: string): Promise<OrderMessage> {
    return this.unary((callback) => this.stub.getOrder({ orderId }, this.metadata(), this.callOptions(), callback));
  }

  /** Holds a refund's goods that have not shipped (idempotent per refund id); not held when the order shipped meanwhile. */
  holdGoodsForRefund(orderId: string, refundId: string, items: GoodsLine[]): Promise<HoldGoodsAnswer> {
    return this.unary((callback) => this.stub.holdGoodsForRefund({ orderId, refundId, items }, this.metadata(), this.callOptions(), callback));
  }

  /** When each seller last sold (sellers with no sale are absent), asked in calls of at most LAST_SALES_MAX_SELLERS. */
  async lastSales(sellerIds: string[]): Promise<Map<string, string>> {
    const sales = new Map<string, string>();
    for (let start = 0; start < sellerIds.length; start += LAST_SALES_MAX_SELLERS) {
      const chunk = sellerIds.slice(start, start + LAST_SALES_MAX_SELLERS);
      const answer = await this.unary<{ sales: SellerSaleMessage[] }>((callback) => this.stub.lastSales({ sellerIds: chunk }, this.metadata(), this.callOptions(), callback));
      for (const sale of answer.sales) sales.set(sale.sellerId, sale.lastSaleAt);
    }
    return sales;
  }

  private metadata(): grpc.Metadata {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', this.identity.authorization());
    return metadata;
  }

  private callOptions(): grpc.CallOptions {
    return { deadline: Date.now() + this.deadlineMs };
  }

  private unary<A>(send: (callback: (error: grpc.ServiceError | null, answer?: A) => void) => void): Promise<A> {
    return new Promise((resolve, reject) => {
      send((error, answer) => {
        if (error?.code === grpc.status.NOT_FOUND) reject(new OrderNotFoundError(error.details));
        else if (error || !answer) {
          reject(new OrderQueryUnavailableError(error?.message ?? 'empty answer', error ? grpc.status[error.code] : 'EMPTY_RESPONSE'));
        } else resolve(answer);
      });
    });
  }

  onApplicationShutdown(): void {
    this.close();
  }

  close(): void {
    this.stub.close();
  }
}
