import { randomBytes } from 'node:crypto';
import { StripeError, StripeErrorCode } from './stripe-errors';

/** A form-encoded Stripe request body or query, as express's extended parser nests it. */
export type Params = Record<string, unknown>;

/** An id in Stripe's style: a type prefix and 24 random characters (`pi_3Q…`). */
export function stripeId(prefix: string): string {
  return `${prefix}_${randomBytes(18).toString('base64url').replace(/[-_]/g, 'x').slice(0, 24)}`;
}

export const unixNow = () => Math.floor(Date.now() / 1000);

export function optionalString(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw invalid(name, `Invalid string: ${JSON.stringify(value)}`);
  return value;
}

export function requiredString(params: Params, name: string): string {
  const value = optionalString(params, name);
  if (value === undefined) throw missing(name);
  return value;
}

/** A positive integer amount in minor units; form bodies carry it as a string of digits. */
export function optionalPositiveInt(params: Params, name: string): number | undefined {
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^[0-9]{1,15}$/.test(text) || Number(text) < 1) {
    throw new StripeError(StripeErrorCode.ParameterInvalidInteger, `Invalid integer: ${String(value)}`, { param: name });
  }
  return Number(text);
}

export function requiredPositiveInt(params: Params, name: string): number {
  const value = optionalPositiveInt(params, name);
  if (value === undefined) throw missing(name);
  return value;
}

export function optionalBoolean(params: Params, name: string): boolean | undefined {
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw invalid(name, `Invalid boolean: ${String(value)}`);
}

/** `metadata[key]=value` pairs: string keys and values, as Stripe keeps them. */
export function metadataOf(params: Params, current: Record<string, string> = {}): Record<string, string> {
  const value = params.metadata;
  if (value === undefined || value === '') return { ...current };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('metadata', 'Invalid hash');
  const merged = { ...current };
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') throw invalid(`metadata[${key}]`, 'Invalid string');
    // an empty value unsets the key, as at Stripe
    if (entry === '') delete merged[key];
    else merged[key] = entry;
  }
  return merged;
}

export function missing(name: string): StripeError {
  return new StripeError(StripeErrorCode.ParameterMissing, `Missing required param: ${name}.`, { param: name });
}

export function invalid(name: string, message: string): StripeError {
  return new StripeError(StripeErrorCode.ParameterInvalid, message, { param: name });
}
