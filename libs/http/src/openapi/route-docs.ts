import type { z } from 'zod';
import type { ErrorFactory } from '../errors/error-codes';

/** Where a route's zod schemas live (ZodBody, ZodQuery, ZodParams record them; `Answers` adds the answers). */
const ROUTE_DOC = Symbol('ebb:route-doc');

export type RoutePart = 'body' | 'query' | 'params';

export interface RouteDoc {
  inputs: Partial<Record<RoutePart, z.ZodType>>;
  /** status → the schema of the answer's body (null: no body) */
  answers: Record<number, z.ZodType | null>;
  /** the route's own refusals beside the shared ones, each with its status */
  refusals: { status: number; code: string }[];
}

function docOf(handler: object): RouteDoc {
  const existing = Reflect.getOwnMetadata(ROUTE_DOC, handler) as RouteDoc | undefined;
  if (existing) return existing;
  const doc: RouteDoc = { inputs: {}, answers: {}, refusals: [] };
  Reflect.defineMetadata(ROUTE_DOC, doc, handler);
  return doc;
}

/** Records the schema that validates one part of a route's request, so the OpenAPI document shows that very schema. */
export function recordRouteInput(target: object, key: string | symbol | undefined, part: RoutePart, schema: z.ZodType): void {
  if (key === undefined) return;
  const handler = (target as Record<string | symbol, unknown>)[key];
  if (typeof handler === 'function') docOf(handler).inputs[part] = schema;
}

/**
 * The answers of a route, by status, with the schema of each body (`null` for none):
 * `@Answers({ 201: refundViewSchema })`. The document shows them; a contract test checks real answers against them.
 */
export const Answers =
  (answers: Record<number, z.ZodType | null>): MethodDecorator =>
  (_target, _key, descriptor) => {
    Object.assign(docOf(descriptor.value as object).answers, answers);
    return descriptor;
  };

/** What a handler's decorators recorded (empty when nothing did). */
export function routeDocOf(handler: object): RouteDoc {
  return (Reflect.getOwnMetadata(ROUTE_DOC, handler) as RouteDoc | undefined) ?? { inputs: {}, answers: {}, refusals: [] };
}

/** The route's own refusals, from a service's error codes (`@Refuses(refundError, RefundErrorCode.OrderNotFound, …)`): each with the status its factory gives it. */
export const Refuses =
  <C extends string>(factory: ErrorFactory<C>, ...codes: C[]): MethodDecorator =>
  (_target, _key, descriptor) => {
    docOf(descriptor.value as object).refusals.push(...codes.map((code) => ({ status: factory.statuses[code], code })));
    return descriptor;
  };
