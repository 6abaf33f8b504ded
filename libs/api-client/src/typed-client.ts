// The public API with its types generated from docs/openapi.json (`npm run openapi`): paths, bodies,
// queries and answers checked by the compiler, sent with openapi-fetch.
import { type Service, serviceUrl } from './services';
import { ApiError } from './api-error';
import { type EbbClient, typedClientAt } from './browser';

export type { components, paths, EbbClient, RequestBody, Schema, SuccessBody } from './browser';

/**
 * A typed client of one service: `await typedClient('refund', token).POST('/v1/refunds', { body })`
 * answers `{ data, error, response }`, with `data` typed by the document's success answer and `error`
 * by its refusals. The same paths on the wrong service answer 404 `route_not_found`.
 */
export function typedClient(service: Service, token?: string, baseUrl: (service: Service) => string = serviceUrl): EbbClient {
  return typedClientAt(baseUrl(service), token);
}

/** The success answer's body of a typed call; a refusal throws the ApiError with the API's code. */
export async function ok<D>(pending: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<D> {
  const { data, error, response } = await pending;
  if (response.ok) return data as D;
  const code = (error as { error?: { code?: string } } | undefined)?.error?.code ?? `http_${response.status}`;
  throw new ApiError(response.status, code, `${response.url} → ${response.status} ${code}`);
}
