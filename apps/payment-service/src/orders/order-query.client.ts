import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ORDER_QUERY_PROTO, PROTO_LOADER_OPTIONS, type OrderMessage } from '@ebb/contracts';

/** The order does not exist (gRPC NOT_FOUND). */
export class OrderNotFoundError extends Error {}

/** order-service did not answer (down, timed out, or any other gRPC failure). */
export class OrderQueryUnavailableError extends Error {}

type GetOrder = (
  request: { orderId: string },
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, order?: OrderMessage) => void,
) => void;

interface OrderQueryStub extends grpc.Client {
  getOrder: GetOrder;
}

/** A client of order-service's OrderQuery; amounts arrive as exact numbers (PROTO_LOADER_OPTIONS). */
export class OrderQueryClient {
  private readonly stub: OrderQueryStub;

  constructor(
    url: string,
    private readonly timeoutMs: number,
  ) {
    const definition = protoLoader.loadSync(ORDER_QUERY_PROTO, PROTO_LOADER_OPTIONS);
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      ebb: { order: { v1: { OrderQuery: new (url: string, credentials: grpc.ChannelCredentials) => OrderQueryStub } } };
    };
    this.stub = new loaded.ebb.order.v1.OrderQuery(url, grpc.credentials.createInsecure());
  }

  getOrder(orderId: string): Promise<OrderMessage> {
    return new Promise((resolve, reject) => {
      this.stub.getOrder({ orderId }, new grpc.Metadata(), { deadline: Date.now() + this.timeoutMs }, (error, order) => {
        if (error?.code === grpc.status.NOT_FOUND) reject(new OrderNotFoundError(error.details));
        else if (error || !order) reject(new OrderQueryUnavailableError(error?.message ?? 'empty answer'));
        else resolve(order);
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
