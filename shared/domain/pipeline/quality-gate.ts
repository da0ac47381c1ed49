/** Offline metric values the gate can compare (higher is better for every one). */
export type GateMetric = 'precision' | 'recall' | 'ndcg' | 'map' | 'mrr';

export interface GateCheck {
  readonly algorithm: string;
  readonly metric: GateMetric;
  readonly candidate: number;
  /** The active version's value; undefined when nothing is active yet (or it has no metrics). */
  readonly active?: number;
  readonly activeVersion?: string;
  /** Smallest value that still passes. */
  readonly threshold?: number;
  readonly passed: boolean;
}

export interface GateDecision {
  readonly passed: boolean;
  readonly metric: GateMetric;
  readonly margin: number;
  readonly checks: GateCheck[];
  /** Human-readable reason when rejected (names every algorithm that got worse). */
  readonly reason?: string;
}

export interface GateInput {
  readonly algorithm: string;
  readonly candidate: number;
  readonly active?: number;
  readonly activeVersion?: string;
}

/**
 * The publish gate: every algorithm's candidate metric must be at least (1 − margin) × the active
 * version's. An algorithm without an active version (first run) passes, so a fresh system can publish.
 */
export function decideGate(inputs: readonly GateInput[], metric: GateMetric, margin: number): GateDecision {
  const checks: GateCheck[] = inputs.map((i) => {
    if (i.active === undefined || !Number.isFinite(i.active)) {
      return { algorithm: i.algorithm, metric, candidate: i.candidate, passed: Number.isFinite(i.candidate) };
    }
    const threshold = i.active * (1 - margin);
    return {
      algorithm: i.algorithm,
      metric,
      candidate: i.candidate,
      active: i.active,
      activeVersion: i.activeVersion,
      threshold,
      passed: Number.isFinite(i.candidate) && i.candidate >= threshold,
    };
  });
  const failed = checks.filter((c) => !c.passed);
  return {
    passed: failed.length === 0,
    metric,
    margin,
    checks,
    reason:
      failed.length === 0
        ? undefined
        : failed
            .map((c) =>
              c.active === undefined
                ? `${c.algorithm}: ${metric} is not a number`
                : `${c.algorithm}: ${metric} ${c.candidate.toFixed(4)} < ${c.threshold?.toFixed(4)} (active ${c.activeVersion} ${c.active.toFixed(4)} − ${(margin * 100).toFixed(1)}%)`,
            )
            .join('; '),
  };
}
