import { StripeError, StripeErrorCode, noSuch } from './stripe-errors';
import { type Params, invalid, optionalPositiveInt, optionalString } from './stripe-params';

const LIST_LIMIT = { default: 10, max: 100 };

/**
 * One page of a Stripe list: newest first, the `created` filters, `limit`, and the
 * `starting_after`/`ending_before` cursors, over objects kept in creation order.
 */
export function stripeList<T extends { id: string; created: number }>(items: readonly T[], params: Params, url: string, kind: string, matches: (item: T) => boolean = () => true) {
  const limit = optionalPositiveInt(params, 'limit') ?? LIST_LIMIT.default;
  if (limit > LIST_LIMIT.max) throw invalid('limit', `This value must be less than or equal to ${LIST_LIMIT.max}.`);
  const inRange = createdFilter(params.created);
  let matching = [...items].reverse().filter((item) => inRange(item.created) && matches(item));
  const cursor = (id: string, param: string) => {
    const at = matching.findIndex((item) => item.id === id);
    if (at < 0) throw noSuch(kind, id, param);
    return at;
  };
  const after = optionalString(params, 'starting_after');
  const before = optionalString(params, 'ending_before');
  let page: T[];
  let hasMore: boolean;
  if (before) {
    matching = matching.slice(0, cursor(before, 'ending_before'));
    page = matching.slice(Math.max(0, matching.length - limit));
    hasMore = matching.length > limit;
  } else {
    const from = after ? cursor(after, 'starting_after') + 1 : 0;
    page = matching.slice(from, from + limit);
    hasMore = matching.length > from + limit;
  }
  return { object: 'list' as const, data: structuredClone(page), has_more: hasMore, url };
}

/** `created=123` or `created[gt|gte|lt|lte]=123` (unix seconds) as a test of an object's time. */
function createdFilter(created: unknown): (at: number) => boolean {
  if (created === undefined || created === '') return () => true;
  const seconds = (value: unknown, param: string) => {
    if (typeof value !== 'string' || !/^[0-9]{1,12}$/.test(value)) throw new StripeError(StripeErrorCode.ParameterInvalidInteger, `Invalid integer: ${String(value)}`, { param });
    return Number(value);
  };
  if (typeof created === 'string') {
    const exact = seconds(created, 'created');
    return (at) => at === exact;
  }
  if (typeof created !== 'object' || created === null || Array.isArray(created)) throw invalid('created', 'Invalid timestamp filter');
  const tests: ((at: number) => boolean)[] = [];
  for (const [op, value] of Object.entries(created as Record<string, unknown>)) {
    const bound = seconds(value, `created[${op}]`);
    if (op === 'gt') tests.push((at) => at > bound);
    else if (op === 'gte') tests.push((at) => at >= bound);
    else if (op === 'lt') tests.push((at) => at < bound);
    else if (op === 'lte') tests.push((at) => at <= bound);
    else throw invalid(`created[${op}]`, `Received unknown parameter: created[${op}]`);
  }
  return (at) => tests.every((test) => test(at));
}
