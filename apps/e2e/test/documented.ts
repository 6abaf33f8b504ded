import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import type { OpenApiDocument, Operation } from '@ebb/http';
import type { TestPlatform } from '@ebb/testing';

export type DocumentedService = 'order' | 'payment' | 'refund' | 'inventory' | 'notification';
export const DOCUMENTED_SERVICES: readonly DocumentedService[] = ['order', 'payment', 'refund', 'inventory', 'notification'];

/** One operation of a document: a matcher of its concrete paths, its answers' validators and the error codes each refusal may carry. */
export interface DocumentedOperation {
  name: string;
  method: string;
  pattern: RegExp;
  answers: Map<number, ValidateFunction | null>;
  codes: Map<number, string[]>;
}

/** Each operation of a document. */
export function operationsOf(document: OpenApiDocument): DocumentedOperation[] {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const schemas = document.components?.schemas ?? {};
  // the one shared component (Error) inlined, so each answer's schema stands alone
  const inline = (schema: unknown): unknown =>
    JSON.parse(JSON.stringify(schema), (_key, value) =>
      value && typeof value === 'object' && typeof value.$ref === 'string' && value.$ref.startsWith('#/components/schemas/') ? schemas[value.$ref.slice('#/components/schemas/'.length)] : value,
    );
  return Object.entries(document.paths).flatMap(([route, item]) =>
    Object.entries(item)
      .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
      .map(([method, operation]) => {
        const answers = new Map<number, ValidateFunction | null>();
        const codes = new Map<number, string[]>();
        for (const [status, answer] of Object.entries((operation as Operation).responses)) {
          const schema = (answer as { content?: Record<string, { schema: unknown }> }).content?.['application/json']?.schema;
          answers.set(Number(status), schema ? ajv.compile(inline(schema) as object) : null);
          codes.set(Number(status), (answer as { 'x-error-codes'?: string[] })['x-error-codes'] ?? []);
        }
        const pattern = new RegExp(`^${route.replace(/\{[^}]+\}/g, '[^/]+')}$`);
        return { name: `${method.toUpperCase()} ${route}`, method: method.toUpperCase(), pattern, answers, codes };
      }),
  );
}

/** The operations of the document each service of the platform serves at `/docs-json`. */
export async function servedDocuments(platform: TestPlatform): Promise<Map<DocumentedService, DocumentedOperation[]>> {
  const documents = new Map<DocumentedService, DocumentedOperation[]>();
  for (const service of DOCUMENTED_SERVICES) {
    const document = await fetch(`${platform.url(service)}/docs-json`).then((response) => response.json());
    documents.set(service, operationsOf(document as OpenApiDocument));
  }
  return documents;
}

/** The operation a concrete request is, if the document has it. */
export function operationFor(operations: DocumentedOperation[], method: string, path: string): DocumentedOperation | undefined {
  const bare = path.split('?')[0];
  return operations.find((candidate) => candidate.method === method && candidate.pattern.test(bare));
}

/** What is wrong with a refusal's code, if anything: it must be one its route declares for that status. */
export function undeclaredCode(operation: DocumentedOperation, status: number, body: unknown): string | undefined {
  const code = (body as { error?: { code?: string } } | undefined)?.error?.code;
  if (status < 400 || !code) return undefined;
  const declared = operation.codes.get(status) ?? [];
  return declared.includes(code) ? undefined : `error code ${code} is not among the declared ${JSON.stringify(declared)}`;
}
