import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv/dist/2020';
import type { OpenApiDocument, Operation } from '@ebb/http';
import { openApiFiles } from '../openapi';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
/** Prometheus' text format is not JSON: the one answer without a schema. */
const TEXT_ROUTES = new Set(['GET /metrics']);

describe('the OpenAPI documents', () => {
  let files: Map<string, string>;
  let merged: OpenApiDocument;
  let operations: { name: string; method: string; operation: Operation }[];
  beforeAll(async () => {
    files = await openApiFiles();
    merged = JSON.parse(files.get(path.join(__dirname, '../../../docs/openapi.json'))!) as OpenApiDocument;
    operations = Object.entries(merged.paths).flatMap(([route, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({ name: `${method.toUpperCase()} ${route}`, method, operation: operation as Operation })),
    );
  }, 60000);

  it('and the client types are what the code says (npm run openapi writes them)', () => {
    for (const [file, text] of files) expect([file, readFileSync(file, 'utf8') === text]).toEqual([file, true]);
  });

  it('document every route of the five services, each once in the merged document, with the servers that answer it', () => {
    expect(operations.length).toBeGreaterThan(35);
    for (const name of ['POST /v1/refunds', 'POST /v1/orders', 'POST /v1/payments', 'PUT /v1/stock/{sku}', 'GET /v1/notifications', 'GET /v1/admin/audit']) {
      expect(operations.map((operation) => operation.name)).toContain(name);
    }
    const servers = (route: string) => (merged.paths[route] as unknown as { servers: { description: string }[] }).servers.map((server) => server.description);
    expect(servers('/v1/refunds')).toEqual(['refunds']);
    expect(servers('/v1/admin/dead-letters').sort()).toEqual(['inventory', 'notifications', 'orders', 'payments', 'refunds']);
  });

  it('give every route that takes a body its schema, and every answer its schema', () => {
    const undocumented = operations.flatMap(({ name, operation }) => [
      ...(operation['x-undocumented-body'] ? [`${name}: its body`] : []),
      ...(operation['x-undocumented-answer'] && !TEXT_ROUTES.has(name) ? [`${name}: its answers`] : []),
    ]);
    expect(undocumented).toEqual([]);
    for (const { name, operation } of operations) {
      const success = Object.entries(operation.responses).filter(([status]) => Number(status) < 300);
      expect([name, success.length > 0]).toEqual([name, true]);
      for (const [status, answer] of success) {
        if (Number(status) === 204 || TEXT_ROUTES.has(name)) continue;
        expect([name, status, Boolean((answer as { content?: unknown }).content)]).toEqual([name, status, true]);
      }
    }
  });

  it('carry Idempotency-Key on every POST, and the refusals of every route with their codes', () => {
    for (const { name, method, operation } of operations) {
      if (method === 'post') expect([name, operation.parameters?.some((p) => p.in === 'header' && p.name === 'Idempotency-Key')]).toEqual([name, true]);
      for (const [status, answer] of Object.entries(operation.responses)) {
        const isError = JSON.stringify(answer).includes('#/components/schemas/Error');
        if (Number(status) >= 400) expect([name, status, isError ? ((answer as Record<string, unknown>)['x-error-codes'] as string[]).length > 0 : 'its own answer']).toEqual([name, status, isError || 'its own answer']);
      }
    }
    const create = operations.find((operation) => operation.name === 'POST /v1/refunds')!.operation;
    expect(create.responses['404']['x-error-codes']).toEqual(['order_not_found']);
    expect(create.responses['422']['x-error-codes']).toEqual(expect.arrayContaining(['amount_exceeds_refundable', 'refund_window_expired']));
    expect(create.responses['409']['x-error-codes']).toEqual(expect.arrayContaining(['order_not_refundable', 'idempotency_key_reused']));
  });

  it('take each body schema from the zod schema that validates it', () => {
    const create = operations.find((operation) => operation.name === 'POST /v1/refunds')!.operation;
    const schema = (create.requestBody as { content: Record<string, { schema: Record<string, unknown> }> }).content['application/json'].schema;
    expect(schema).toMatchObject({ type: 'object', required: expect.arrayContaining(['orderId', 'reason']), additionalProperties: false });
    const ajv = new Ajv({ strict: false });
    const validate = ajv.compile(schema);
    expect(validate({ orderId: 'ord_1', reason: 'damaged', amount: 100 })).toBe(true);
    expect(validate({ orderId: 'ord_1', reason: 'because', amount: 100 })).toBe(false);
    expect(validate({ orderId: 'ord_1', reason: 'damaged', amount: 100, discount: 1 })).toBe(false);
  });

  it('hold only schemas a JSON Schema validator compiles', () => {
    const ajv = new Ajv({ strict: false });
    for (const { name, operation } of operations) {
      const schemas = [
        ...Object.values((operation.requestBody as { content?: Record<string, { schema: object }> } | undefined)?.content ?? {}).map((media) => media.schema),
        ...Object.values(operation.responses).flatMap((answer) => Object.values((answer as { content?: Record<string, { schema: object }> }).content ?? {}).map((media) => media.schema)),
      ].filter((schema) => !('$ref' in schema));
      for (const schema of schemas) expect([name, (() => { try { ajv.compile(schema); return true; } catch (error) { return String(error); } })()]).toEqual([name, true]);
    }
  });
});
