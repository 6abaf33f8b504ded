import { z } from 'zod';
import { HttpErrorCode, httpError } from '../errors/error-codes';

const pageSize = (max: number) => `must be an integer from 1 to ${max}`;

/**
 * The `limit` and `cursor` of a list that pages by keyset (api-v1: 1–200, default 50, an opaque
 * cursor): spread into the list's query schema.
 */
export function pageQueryFields({ max = 200, fallback = 50 }: { max?: number; fallback?: number } = {}) {
  return {
    limit: z.coerce.number({ error: pageSize(max) }).int(pageSize(max)).min(1, pageSize(max)).max(max, pageSize(max)).default(fallback),
    cursor: z.string().max(1000).optional().describe('`nextCursor` of the previous page'),
  };
}

/** A page's `nextCursor` in an answer's schema. */
export const nextCursorSchema = z.string().nullable().describe('the `cursor` of the next page; null on the last one');

/** The opaque cursor of a position in a keyset order (the sort key of a page's last item). */
export function encodeCursor(position: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** The position a cursor names; a cursor this list never gave is 400 `validation_error` on `cursor`. */
export function decodeCursor(cursor: string, shape: readonly ('string' | 'number')[]): (string | number)[] {
  try {
    const position: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(position) && position.length === shape.length && position.every((value, i) => typeof value === shape[i])) return position;
  } catch {
    // not JSON: refused below
  }
  throw httpError(HttpErrorCode.ValidationError, 'The request query is invalid.', [{ field: 'cursor', message: 'is not a cursor of this list' }]);
}

/**
 * One page from rows read with `limit + 1` (the extra row only says there is a next page): the items,
 * and the cursor of the last one when more follow.
 */
export function keysetPage<R, V>(rows: R[], limit: number, view: (row: R) => V, positionOf: (row: R) => (string | number)[]): { items: V[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return { items: page.map(view), nextCursor: rows.length > limit ? encodeCursor(positionOf(page[page.length - 1])) : null };
}
