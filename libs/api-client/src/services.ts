// Where the public API of api-v1.md answers, and the credentials a client outside the platform uses.
import { DEV_JWT_SECRET } from '@ebb/config';
import { DEFAULT_PORTS } from '@ebb/contracts';
import { type Role, signToken } from '@ebb/http';

export const SERVICES = ['order', 'payment', 'refund', 'inventory', 'notification', 'sandbox'] as const;
export type Service = (typeof SERVICES)[number];

const URL_VARIABLES: Record<Service, string> = {
  order: 'ORDER_URL',
  payment: 'PAYMENT_URL',
  refund: 'REFUND_URL',
  inventory: 'INVENTORY_URL',
  notification: 'NOTIFICATION_URL',
  sandbox: 'SANDBOX_URL',
};

/** A service's base URL: `ORDER_URL` (and so on) when set, else its default port on this host. */
export function serviceUrl(service: Service): string {
  return process.env[URL_VARIABLES[service]] ?? `http://127.0.0.1:${DEFAULT_PORTS[service]}`;
}

/** The secret key a storefront presents to the provider (the sandbox accepts its test key). */
export const SANDBOX_SECRET_KEY = process.env.STRIPE_SECRET_KEY ?? 'sk_test_ebb_local';

/** A bearer token for `sub` in `role`, signed as the services verify it (EBB_JWT_SECRET, else the development secret). */
export function apiToken(role: Role, sub: string, secret = process.env.EBB_JWT_SECRET ?? DEV_JWT_SECRET): string {
  return signToken({ sub, role }, secret);
}
