import type { INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { z } from 'zod';
import { PUBLIC_ROUTE } from '@ebb/observability';
import { ROLES_KEY, type Role } from '../auth/roles';
import { HttpErrorCode } from '../errors/error-codes';
import { documentHealthRoutes } from './health-docs';
import { type RouteDoc, routeDocOf } from './route-docs';

/** The parts of an OpenAPI 3.1 document this module reads and writes (Nest's swagger makes the rest). */
type Json = Record<string, unknown>;
export interface OpenApiDocument {
  openapi: string;
  info: Json;
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Json>; securitySchemes?: Json };
  servers?: { url: string; description?: string }[];
  [key: string]: unknown;
}
export interface Operation {
  operationId?: string;
  parameters?: Json[];
  requestBody?: Json;
  responses: Record<string, Json>;
  security?: Json[];
  tags?: string[];
  [key: string]: unknown;
}

/** `Controller_method`, the operation id Nest's swagger gives a handler (and the one the document keeps). */
export const operationIdOf = (controller: string, method: string) => `${controller}_${method}`;

/** The zod schema as JSON Schema 2020-12 (OpenAPI 3.1's own dialect), as a caller sends it (before defaults and coercion). */
export function jsonSchemaOf(schema: z.ZodType): Json {
  const json = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as Json;
  // the dialect is the document's (jsonSchemaDialect): not repeated in every schema
  delete json.$schema;
  return json;
}

const ERROR_SCHEMA: Json = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'snake_case, stable: what a client branches on' },
        message: { type: 'string', description: 'a sentence for people' },
        details: { description: 'what the code says more precisely (for validation_error: each bad field)' },
      },
    },
  },
};

/** An error answer; `x-error-codes` lists the `error.code`s it may carry, for generated clients and readers. */
const errorAnswer = (description: string, codes: string[]): Json => ({
  description: `${description} (${codes.join(', ')})`,
  'x-error-codes': codes,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** Every handler of the app's controllers by operation id, with its class and method (for metadata). */
function handlers(app: INestApplication): Map<string, { handler: object; controller: object }> {
  const found = new Map<string, { handler: object; controller: object }>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: unknown[]) => unknown) | undefined;
      if (!controller?.prototype) continue;
      for (const method of Object.getOwnPropertyNames(controller.prototype)) {
        if (method === 'constructor') continue;
        const handler = (controller.prototype as Record<string, unknown>)[method];
        if (typeof handler === 'function') found.set(operationIdOf(controller.name, method), { handler, controller });
      }
    }
  }
  return found;
}

/** Query or path parameters, one per property of the object schema that validates them. */
function parametersOf(where: 'query' | 'path', schema: z.ZodType): Json[] {
  const json = jsonSchemaOf(schema);
  const properties = (json.properties ?? {}) as Record<string, Json>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: property,
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
  }));
}

/** One operation, completed from the schemas that validate it and the answers it declares. */
function complete(operation: Operation, method: string, doc: RouteDoc, isPublic: boolean, roles: Role[] | undefined): void {
  const { body, query, params } = doc.inputs;
  const parameters: Json[] = [];
  if (params) parameters.push(...parametersOf('path', params));
  else for (const parameter of operation.parameters ?? []) if (parameter.in === 'path') parameters.push(parameter);
  if (query) parameters.push(...parametersOf('query', query));
  if (method === 'post') {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'The same key with the same body answers the first response again; with another body, 409 idempotency_key_reused. Kept at least 24 hours.',
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7e]+$' },
    });
  }
  operation.parameters = parameters;
  if (body) {
    const schema = jsonSchemaOf(body);
    // a body with a default may be left out (`{}` is assumed)
    operation.requestBody = { required: schema.default === undefined, content: { 'application/json': { schema } } };
  } else if (operation.requestBody) {
    // Nest saw a @Body no zod schema validates: the coverage test refuses it
    operation['x-undocumented-body'] = true;
  }

  const responses: Record<string, Json> = {};
  const declared = Object.entries(doc.answers);
  if (declared.length > 0) {
    for (const [status, schema] of declared) {
      responses[status] = schema ? { description: 'the answer', content: { 'application/json': { schema: jsonSchemaOf(schema) } } } : { description: 'no body' };
    }
  } else {
    // no @Answers: Nest's bare success status stays, marked so that the coverage test names the route
    for (const [status, answer] of Object.entries(operation.responses ?? {})) if (Number(status) < 400) responses[status] = answer;
    operation['x-undocumented-answer'] = true;
  }
  const writes = method !== 'get';
  // a write reads whatever body it is sent: one that is not JSON, or not encoded as its Content-Encoding says, is refused too
  if (body || query || params || writes) {
    const invalid = [HttpErrorCode.ValidationError, HttpErrorCode.MalformedJson, HttpErrorCode.BadRequest, ...(method === 'post' ? [HttpErrorCode.IdempotencyKeyInvalid] : [])];
    responses['400'] = errorAnswer('the request is invalid: `details` lists each bad field', invalid);
  }
  if (!isPublic) {
    responses['401'] = errorAnswer('no, a bad or an expired bearer token', [HttpErrorCode.Unauthorized]);
    if (roles) responses['403'] = errorAnswer(`the token's role may not do this (allowed: ${roles.join(', ')}), or it is not the caller's`, [HttpErrorCode.Forbidden]);
  }
  if (method === 'post') responses['409'] ??= errorAnswer('the Idempotency-Key was used with another body, or its first request is still running', [HttpErrorCode.IdempotencyKeyReused, HttpErrorCode.RequestInProgress]);
  if (writes) responses['413'] = errorAnswer('the body is larger than 1 MB', [HttpErrorCode.PayloadTooLarge]);
  if (writes) responses['415'] = errorAnswer('the body is not JSON', [HttpErrorCode.UnsupportedMediaType]);
  if (writes && !isPublic) responses['429'] = { ...errorAnswer('too many writes to this route by this caller: try again after Retry-After seconds', [HttpErrorCode.TooManyRequests]), headers: { 'Retry-After': { schema: { type: 'integer', minimum: 1 } } } };
  responses['503'] = errorAnswer('a dependency did not answer in time: the same request may be sent again', [HttpErrorCode.ServiceUnavailable]);
  // an answer the route declares above 400 (the health check's own 503) is its own, not the shared one
  for (const [status, schema] of declared) {
    if (Number(status) >= 400 && schema) responses[status] = { description: 'the answer', content: { 'application/json': { schema: jsonSchemaOf(schema) } } };
  }
  const own = new Map<number, string[]>();
  for (const { status, code } of doc.refusals) own.set(status, [...(own.get(status) ?? []), code]);
  for (const [status, codes] of own) {
    const shared = responses[String(status)];
    const sharedCodes = (shared?.['x-error-codes'] as string[] | undefined) ?? [];
    responses[String(status)] = errorAnswer(shared ? 'refused' : 'refused by the rules of this route', [...codes, ...sharedCodes]);
  }
  operation.responses = responses;
  operation.security = isPublic ? [] : [{ bearer: [] }];
}

/**
 * Completes the document Nest's swagger made from the routes with what the code knows: each body,
 * query and path parameter from the very zod schema that validates it, `Idempotency-Key` on POST,
 * the declared answers and the refusals every route shares. The document cannot drift from the
 * validation, because it is made from it.
 */
export function completeOpenApiDocument(app: INestApplication, document: OpenApiDocument): OpenApiDocument {
  documentHealthRoutes();
  const byId = handlers(app);
  for (const [, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const found = operation.operationId ? byId.get(operation.operationId) : undefined;
      if (!found) continue;
      const targets = [found.handler, found.controller];
      const isPublic = targets.some((target) => Reflect.getMetadata(PUBLIC_ROUTE, target) === true);
      const roles = (Reflect.getMetadata(ROLES_KEY, found.handler) ?? Reflect.getMetadata(ROLES_KEY, found.controller)) as Role[] | undefined;
      complete(operation, method, routeDocOf(found.handler), isPublic, roles);
    }
  }
  // 3.1: its schemas are JSON Schema 2020-12, which zod writes and every JSON Schema validator reads
  document.openapi = '3.1.0';
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, Error: ERROR_SCHEMA },
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
  };
  return document;
}

/** The five services' documents as one: each path with the server that answers it (the routes every service has, with each). */
export function mergeOpenApiDocuments(title: string, parts: { url: string; name: string; document: OpenApiDocument }[]): OpenApiDocument {
  const merged: OpenApiDocument = {
    openapi: '3.1.0',
    info: { title, version: '1', description: 'The Ebb public API, version 1: every service\'s routes, each with the service that answers it.' },
    paths: {},
    components: { schemas: {}, securitySchemes: {} },
  };
  for (const { url, name, document } of parts) {
    for (const [path, item] of Object.entries(document.paths)) {
      const existing = merged.paths[path] as (Record<string, unknown> & { servers?: { url: string; description: string }[] }) | undefined;
      if (existing) {
        existing.servers?.push({ url, description: name });
        continue;
      }
      merged.paths[path] = { ...item, servers: [{ url, description: name }] } as never;
    }
    Object.assign(merged.components!.schemas!, document.components?.schemas);
    Object.assign(merged.components!.securitySchemes!, document.components?.securitySchemes);
  }
  return merged;
}
