/**
 * The stored first answer to a repeated request. Thrown rather than returned because Nest applies
 * the route's own status to a returned value, and a replay must keep the first status (a 4xx too).
 */
export class ReplayedResponse {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

export const REPLAYED_HEADER = 'Idempotent-Replayed';
