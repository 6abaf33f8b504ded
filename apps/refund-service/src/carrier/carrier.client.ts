/** What the carrier says of a parcel we asked it to stop. */
export type InterceptionOutcome = 'intercepted' | 'too_late';

/** A carrier call that failed (no answer, a 5xx, an answer we cannot read): the message is retried. */
export class CarrierUnavailableError extends Error {
  override readonly name = 'CarrierUnavailableError';
}

/**
 * The carrier's interception API: `POST {CARRIER_URL}/v1/interceptions {carrier, trackingNumber}` →
 * `{status: "intercepted" | "too_late"}`. Asking twice for one parcel is harmless, so a retried
 * message may ask again.
 */
export class CarrierClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {}

  async intercept(carrier: string, trackingNumber: string): Promise<InterceptionOutcome> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl.replace(/\/$/, '')}/v1/interceptions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ carrier, trackingNumber }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new CarrierUnavailableError(`carrier ${carrier} did not answer: ${(error as Error).message}`);
    }
    const body = (await response.json().catch(() => undefined)) as { status?: string } | undefined;
    if (!response.ok || (body?.status !== 'intercepted' && body?.status !== 'too_late')) {
      throw new CarrierUnavailableError(`carrier ${carrier} answered ${response.status} ${JSON.stringify(body)}`);
    }
    return body.status;
  }
}
