/** When the nightly Tune stage runs (issue 14: tune only when needed, and reuse the result). */
export interface TuningPolicy {
  /** Tune again after this many days. */
  readonly everyDays: number;
  /** Tune again when interactions grew by at least this share since the last tuning (0.2 = 20 %). */
  readonly growthShare: number;
}

export interface TuningDecision {
  readonly due: boolean;
  readonly reason: string;
}

/**
 * Due when asked for (a manual run), never tuned, the last tuning at least `everyDays` old, or the
 * interactions grown by at least `growthShare` since it; otherwise the stored parameters are reused.
 */
export function decideTuning(args: {
  readonly manual: boolean;
  readonly last?: { readonly tunedAt: string; readonly interactions: number };
  readonly interactions: number;
  readonly now: Date;
  readonly policy: TuningPolicy;
}): TuningDecision {
  const { manual, last, interactions, now, policy } = args;
  if (manual) return { due: true, reason: 'requested (--tune)' };
  if (!last) return { due: true, reason: 'never tuned' };
  const days = (now.getTime() - Date.parse(last.tunedAt)) / 86_400_000;
  if (!(days < policy.everyDays))
    return { due: true, reason: `last tuning ${days.toFixed(1)} days ago (every ${policy.everyDays} days)` };
  const growth =
    last.interactions > 0 ? (interactions - last.interactions) / last.interactions : Number.POSITIVE_INFINITY;
  if (growth >= policy.growthShare)
    return {
      due: true,
      reason: `interactions grew ${(growth * 100).toFixed(1)} % since the last tuning (>= ${(policy.growthShare * 100).toFixed(0)} %)`,
    };
  return {
    due: false,
    reason: `reusing the parameters tuned ${last.tunedAt} (${days.toFixed(1)} days ago, growth ${(growth * 100).toFixed(1)} %)`,
  };
}
