import { backoffMs, classify } from '../retry-policy';

describe('how the shop retries', () => {
  it.each([
    [{ error: 'TypeError: fetch failed' }, 'retry', 'network'],
    [{ error: 'TimeoutError: The operation was aborted due to timeout' }, 'retry', 'timeout'],
    [{ status: 500, code: 'internal_error' }, 'retry', 'http_500'],
    [{ status: 502 }, 'retry', 'http_502'],
    [{ status: 503, code: 'order_service_unavailable' }, 'retry', 'http_503'],
    [{ status: 409, code: 'refund_in_progress' }, 'retry', 'refund_in_progress'],
    [{ status: 409, code: 'request_in_progress' }, 'retry', 'request_in_progress'],
    [{ status: 409, code: 'invalid_refund_transition' }, 'give-up', '409 invalid_refund_transition'],
    [{ status: 409, code: 'idempotency_key_reused' }, 'give-up', '409 idempotency_key_reused'],
    [{ status: 422, code: 'amount_exceeds_refundable' }, 'give-up', '422 amount_exceeds_refundable'],
    [{ status: 404 }, 'give-up', '404 http_404'],
    [{ status: 429 }, 'give-up', '429 http_429'],
    [{ status: 201 }, 'done', 'http_201'],
    [{ status: 200 }, 'done', 'http_200'],
  ] as const)('%j → %s (%s)', (attempt, action, reason) => {
    expect(classify(attempt)).toEqual({ action, reason });
  });

  it('backs off from 200 ms, doubling, to 5 s at most, with a jitter of up to 20%', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => backoffMs(n, 0))).toEqual([200, 400, 800, 1600, 3200, 5000, 5000]);
    expect(backoffMs(0, 1)).toBe(240);
  });
});
