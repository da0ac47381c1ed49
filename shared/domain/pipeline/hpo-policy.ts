/** When hyperparameter optimisation is worth its cost (a tuning run costs about 15 normal trainings). */
export interface HpoPolicy {
  /** Tune again after this many days. */
  readonly everyDays: number;
  /** Tune again when interactions grew by more than this share since the last tuning (0.2 = 20%). */
  readonly growthShare: number;
  /**
   * A stage's first retraining: `defaults` trains with the recipe's default hyperparameters (HPO costs about
   * 15 trainings, too much for a dev stage's first deploy), `hpo` tunes at once. Either way the age and
   * growth rules apply from that first run on.
   */
  readonly firstRun?: 'defaults' | 'hpo';
}

/** What the pipeline state remembers about the last tuning run. */
export interface TuningRecord {
  readonly tunedAt: string;
  readonly interactions: number;
  readonly hyperParameters: Readonly<Record<string, string>>;
  readonly solutionVersionArn?: string;
  /** The regular (performHPO off) solution created with these hyperparameters, once it exists. */
  readonly regularSolutionArn?: string;
  /** True when these are the recipe's defaults from a first run without HPO, not tuned values. */
  readonly defaults?: boolean;
}

export interface HpoDecision {
  readonly due: boolean;
  readonly reason: string;
}

/**
 * Decides whether this retraining runs HPO: a manual request, no tuning yet (when `firstRun` is `hpo`), the
 * tuning (or the first run's defaults) older than `everyDays`, or interactions grown by more than
 * `growthShare` since it. Otherwise the recorded hyperparameters are reused without HPO.
 */
export function decideHpo(args: {
  readonly manual: boolean;
  readonly last?: TuningRecord;
  readonly interactions: number;
  readonly now: Date;
  readonly policy: HpoPolicy;
}): HpoDecision {
  const { manual, last, interactions, now, policy } = args;
  if (manual) return { due: true, reason: 'requested (--hpo)' };
  if (!last)
    return policy.firstRun === 'hpo'
      ? { due: true, reason: 'never tuned' }
      : {
          due: false,
          reason: "first retraining: the recipe's default hyperparameters (HPO only when asked)",
        };
  const days = (now.getTime() - Date.parse(last.tunedAt)) / 86_400_000;
  if (days >= policy.everyDays)
    return { due: true, reason: `last tuning ${days.toFixed(1)} days ago (every ${policy.everyDays} days)` };
  const growth =
    last.interactions > 0 ? (interactions - last.interactions) / last.interactions : Number.POSITIVE_INFINITY;
  if (growth > policy.growthShare)
    return {
      due: true,
      reason: `interactions grew ${(growth * 100).toFixed(1)}% since the last tuning (> ${(policy.growthShare * 100).toFixed(0)}%)`,
    };
  return {
    due: false,
    reason: `reusing tuned hyperparameters from ${last.tunedAt} (${days.toFixed(1)} days, growth ${(growth * 100).toFixed(1)}%)`,
  };
}
