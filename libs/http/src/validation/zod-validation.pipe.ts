import { ArgumentMetadata, Body, Param, PipeTransform, Query } from '@nestjs/common';
import type { z } from 'zod';
import { type RoutePart, recordRouteInput } from '../openapi/route-docs';
import { HttpErrorCode, httpError } from '../errors/error-codes';

/** One bad field of a refused request: a dotted path (`items.0.quantity`) and what is wrong. */
export interface FieldError {
  field: string;
  message: string;
}

/** The zod issues as one entry per bad field; an issue about the whole value names the part (`body`). */
export function fieldErrors(error: z.ZodError, root = 'body'): FieldError[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    // zod reports unknown keys of a strict object as one issue on the object; name each key
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: path ? `${path}.${key}` : key, message: 'is not a known field' }));
    }
    return [{ field: path || root, message: issue.message }];
  });
}

/**
 * Parses a body, query or params with a zod schema; the handler receives the parsed value.
 * A failure is 400 `validation_error` with `details` listing each bad field.
 */
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown, metadata: ArgumentMetadata): z.output<S> {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    const root = metadata.type === 'custom' ? 'value' : metadata.type;
    throw httpError(HttpErrorCode.ValidationError, `The request ${root} is invalid.`, fieldErrors(result.error, root));
  }
}

/** A parameter decorator that parses its part with the schema and records the schema for the OpenAPI document. */
function zodPart(part: RoutePart, decorate: (pipe: ZodValidationPipe<z.ZodType>) => ParameterDecorator, schema: z.ZodType): ParameterDecorator {
  const decorator = decorate(new ZodValidationPipe(schema));
  return (target, key, index) => {
    decorator(target, key, index);
    recordRouteInput(target, key, part, schema);
  };
}

/** `@ZodBody(schema) body: z.infer<typeof schema>`: the JSON body, parsed by the schema. */
export const ZodBody = (schema: z.ZodType) => zodPart('body', (pipe) => Body(pipe), schema);

/** The query string, parsed by the schema (values arrive as strings: use `z.coerce` for numbers). */
export const ZodQuery = (schema: z.ZodType) => zodPart('query', (pipe) => Query(pipe), schema);

/** The route parameters, parsed by the schema. */
export const ZodParams = (schema: z.ZodType) => zodPart('params', (pipe) => Param(pipe), schema);
