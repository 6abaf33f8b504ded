import { z } from 'zod';
import { serviceEnvSchema } from '@ebb/config';
import { DEFAULT_PORTS } from '@ebb/contracts';

/** order-service's environment: the shared settings plus the gRPC port of OrderQuery. */
export const orderEnvSchema = serviceEnvSchema('orders', DEFAULT_PORTS.order).and(
  z.object({
    // 0 lets the system pick a free port (tests)
    ORDER_GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(DEFAULT_PORTS.orderGrpc),
    ORDER_GRPC_HOST: z.string().min(1).default('0.0.0.0'),
  }),
);

export type OrderEnv = z.output<typeof orderEnvSchema>;

/** Injection token of the parsed environment (`OrderEnv`). */
export const ORDER_ENV = Symbol('ebb:order-env');
