// One client of the public HTTP API: what a storefront, a support tool or an operator sends. Calls of
// documented routes go through `typed` (checked against the OpenAPI document at compile time); `request`
// and `call` remain for what the document deliberately does not describe: malformed or raw bodies, the
// provider's form-encoded Stripe-style endpoints, the sandbox's mail sink and fault injection.
import { type Service, serviceUrl } from './services';
import { ApiError } from './api-error';
import { type EbbClient, typedClient } from './typed-client';

export { ApiError };

/** An answer as it came: the status, and the body as JSON (or its text when it is not JSON). */
export interface Answer<T = any> {
  status: number;
  body: T;
}

export interface RequestOptions {
  /** Sent as `authorization: Bearer <token>`. */
  token?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as it is, labelled JSON: for bodies that are not valid JSON, or too large to build twice. */
  raw?: string;
  /** Sent form-encoded, as the provider's Stripe-style endpoints take it. */
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Aborts the call after this long (a hung connection then fails like a refused one); default none. */
  timeoutMs?: number;
}

export class ApiClient {
  /** `baseUrl` names where each service answers: by default `serviceUrl` (env, else the default ports). */
  constructor(readonly baseUrl: (service: Service) => string = serviceUrl) {}

  /**
   * The typed client of one service at this client's URLs, sending `token` as its bearer token: paths,
   * bodies, queries and answers checked against the OpenAPI document (see `typedClient`; `ok` unwraps).
   */
  typed(service: Service, token?: string): EbbClient {
    return typedClient(service, token, this.baseUrl);
  }

  /** Sends one request and returns the answer whatever its status (off-contract calls: see the file's head). */
  async request<T = any>(service: Service, method: string, path: string, options: RequestOptions = {}): Promise<Answer<T>> {
    const { token, body, raw, form, headers, timeoutMs } = options;
    const contentType = form ? 'application/x-www-form-urlencoded' : body !== undefined || raw !== undefined ? 'application/json' : undefined;
    const response = await fetch(`${this.baseUrl(service)}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(contentType ? { 'content-type': contentType } : {}),
        ...headers,
      },
      body: form ? new URLSearchParams(form).toString() : (raw ?? (body === undefined ? undefined : JSON.stringify(body))),
      signal: timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    return { status: response.status, body: parseBody(text) as T };
  }

  /** Sends one request and returns its body; a non-2xx answer throws an ApiError with the API's error code. */
  async call<T = any>(service: Service, method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const { status, body } = await this.request(service, method, path, options);
    if (status >= 200 && status < 300) return body as T;
    const code = body?.error?.code ?? body?.error?.type ?? `http_${status}`;
    throw new ApiError(status, code, `${method} ${service}${path} → ${status} ${code}`);
  }
}

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text; // an error page from a proxy, a metrics exposition: kept as the text it is
  }
}
