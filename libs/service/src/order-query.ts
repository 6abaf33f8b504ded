import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ORDER_QUERY_PROTO, type OrderMessage, PROTO_LOADER_OPTIONS } from '@ebb/contracts';

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

type GetOrder = (
  request: { orderId: string },
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, order?: OrderMessage) => void,
) => void;

/** A client of order-service's OrderQuery with a deadline on every call; amounts arrive as exact numbers. */
export class OrderQueryClient {
  private readonly stub: grpc.Client & { getOrder: GetOrder };

  constructor(
    url: string,
    private readonly deadlineMs: number,
  ) {
    const OrderQuery = orderQueryService();
    this.stub = new OrderQuery(url, grpc.credentials.createInsecure()) as unknown as grpc.Client & { getOrder: GetOrder };
  }

  getOrder(orderId: string): Promise<OrderMessage> {
    return new Promise((resolve, reject) => {
      this.stub.getOrder({ orderId }, { deadline: Date.now() + this.deadlineMs }, (error, order) => {
        if (error?.code === grpc.status.NOT_FOUND) reject(new OrderNotFoundError(error.details));
        else if (error || !order) {
          reject(new OrderQueryUnavailableError(error?.message ?? 'empty answer', error ? grpc.status[error.code] : 'EMPTY_RESPONSE'));
        } else resolve(order);
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
