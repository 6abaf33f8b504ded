import type { EvaluationContext, JsonValue, Provider, ResolutionDetails } from '@openfeature/server-sdk';
import { ErrorCode, StandardResolutionReasons } from '@openfeature/server-sdk';
import type { DataSource } from 'typeorm';
import { currentFlag, flagAt } from './flag-store';
import { decide } from './rollout-flag';

const dateIn = (context: EvaluationContext, key: string): Date | undefined => {
  const value = context[key];
  if (typeof value === 'string') return new Date(value);
  return value instanceof Date ? value : undefined;
};

/**
 * An OpenFeature provider over refund-service's own database: a boolean flag's mode (`off`,
 * `new_sellers`, `percentage`, `all`), percentage and the time it was set, with its history. The
 * context names the seller (`targetingKey`), when it registered (`registeredAt`) and, to ask how the
 * flag stood at a past time, `asOf`. A shop that runs a flag service of its own plugs in its
 * provider instead (flags.module.ts) and targets on the same context.
 */
export class DatabaseFlagProvider implements Provider {
  readonly metadata = { name: 'ebb-database' } as const;
  readonly runsOn = 'server' as const;

  constructor(private readonly dataSource: DataSource) {}

  async resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    const sellerId = context.targetingKey;
    if (!sellerId) return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.TARGETING_KEY_MISSING };
    const asOf = dateIn(context, 'asOf');
    const state = asOf ? await flagAt(this.dataSource.manager, flagKey, asOf) : await currentFlag(this.dataSource.manager, flagKey);
    const { enabled, reason } = decide(flagKey, state, sellerId, dateIn(context, 'registeredAt'));
    return {
      value: enabled,
      variant: reason,
      reason: !state || state.mode === 'off' ? StandardResolutionReasons.DISABLED : state.mode === 'percentage' ? StandardResolutionReasons.SPLIT : StandardResolutionReasons.TARGETING_MATCH,
      flagMetadata: { mode: state?.mode ?? 'off', ...(state?.percentage != null ? { percentage: state.percentage } : {}) },
    };
  }

  // the rollout flags are booleans; any other type is a flag this provider does not hold
  async resolveStringEvaluation(_key: string, defaultValue: string): Promise<ResolutionDetails<string>> {
    return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.TYPE_MISMATCH };
  }

  async resolveNumberEvaluation(_key: string, defaultValue: number): Promise<ResolutionDetails<number>> {
    return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.TYPE_MISMATCH };
  }

  async resolveObjectEvaluation<T extends JsonValue>(_key: string, defaultValue: T): Promise<ResolutionDetails<T>> {
    return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.TYPE_MISMATCH };
  }
}
