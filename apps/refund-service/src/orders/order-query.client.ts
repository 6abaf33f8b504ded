import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ORDER_QUERY_PACKAGE, ORDER_QUERY_PROTO, type OrderMessage, PROTO_LOADER_OPTIONS } from '@ebb/contracts';
import { RefundErrorCode, refundError } from '../refunds/refund.errors';

type GetOrder = (
  request: { orderId: string },
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, order?: OrderMessage) => void,
) => void;
type OrderQueryStub = grpc.Client & { GetOrder: GetOrder };

/** The OrderQuery service definition, as a client or a test server loads it. */
export function loadOrderQueryService(): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync(ORDER_QUERY_PROTO, PROTO_LOADER_OPTIONS);
  const root = grpc.loadPackageDefinition(definition) as unknown as Record<string, unknown>;
  const service = ORDER_QUERY_PACKAGE.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], root);
  return (service as Record<string, grpc.ServiceClientConstructor>).OrderQuery;
}

/** order-service's answers about an order, over gRPC with a deadline on every call. */
export class OrderQueryClient {
  private readonly stub: OrderQueryStub;

  constructor(
    url: string,
    private readonly deadlineMs: number,
  ) {
    const OrderQuery = loadOrderQueryService();
    this.stub = new OrderQuery(url, grpc.credentials.createInsecure()) as unknown as OrderQueryStub;
  }

  /** The order; 404 `order_not_found` if order-service does not know it, 503 if it cannot answer in time. */
  getOrder(orderId: string): Promise<OrderMessage> {
    return new Promise((resolve, reject) => {
      this.stub.GetOrder({ orderId }, { deadline: Date.now() + this.deadlineMs }, (error, order) => {
        if (!error && order) return resolve(order);
        if (error?.code === grpc.status.NOT_FOUND) {
          return reject(refundError(RefundErrorCode.OrderNotFound, `Order ${orderId} was not found.`));
        }
        reject(
          refundError(RefundErrorCode.OrderServiceUnavailable, 'The order service did not answer; try again shortly.', {
            grpcStatus: error ? grpc.status[error.code] : 'EMPTY_RESPONSE',
          }),
        );
      });
    });
  }

  close(): void {
    this.stub.close();
  }
}
