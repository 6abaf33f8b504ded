import type { Request } from 'express';

/** The methods that change something: the ones limited per caller and audited. */
const WRITES: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export const isWrite = (request: Request): boolean => WRITES.has(request.method);

/** `METHOD /route/:pattern` of a request (`POST /v1/refunds/:id/approve`): every refund's approval is one route. */
export function routeOf(request: Request): string {
  const pattern = (request.route as { path?: string } | undefined)?.path ?? request.path;
  return `${request.method} ${pattern}`;
}
