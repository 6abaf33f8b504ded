// What a browser may take of the client (`@ebb/api-client/browser`): the typed client of the public API,
// its refusals, and money written from minor units. Nothing here reaches a Node module or a secret.
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from './generated/api';
import { ApiError } from './api-error';

export type { components, paths };
export { ApiError };
export { type Money, formatMoneyIn, minorToMajor, minorUnitDigits } from '@ebb/contracts/money';
export { REFUND_STATUSES } from '@ebb/contracts/refund-vocabulary';

export type EbbClient = Client<paths>;
/** A schema of the document by name, e.g. `Schema<'Error'>`. */
export type Schema<N extends keyof components['schemas']> = components['schemas'][N];

type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';
type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
/** The JSON body a route takes, e.g. `RequestBody<'/v1/orders', 'post'>`. */
export type RequestBody<P extends keyof paths, M extends Method> = paths[P][M] extends { requestBody?: infer R } ? Json<NonNullable<R>> : never;
/** The JSON body of a route's success answer (its 200, 201 or 202), e.g. `SuccessBody<'/v1/refunds/{id}', 'get'>`. */
export type SuccessBody<P extends keyof paths, M extends Method> = paths[P][M] extends { responses: infer R } ? Json<R[keyof R & (200 | 201 | 202)]> : never;

/** A typed client of the service answering at `baseUrl`, sending `token` as its bearer token when given. */
export function typedClientAt(baseUrl: string, token?: string, middleware: Middleware[] = []): EbbClient {
  const client = createClient<paths>({ baseUrl, headers: token ? { authorization: `Bearer ${token}` } : {} });
  for (const each of middleware) client.use(each);
  return client;
}

/**
 * The success answer's body of a typed call; a refusal throws an ApiError carrying the API's code,
 * its sentence (`error.message`, for people) and its details.
 */
export async function answerOf<D>(pending: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<D> {
  const { data, error, response } = await pending;
  if (response.ok) return data as D;
  const body = (error as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
  const code = body?.code ?? `http_${response.status}`;
  throw new ApiError(response.status, code, body?.message ?? `${response.status} ${response.statusText || code}`, body?.details);
}
