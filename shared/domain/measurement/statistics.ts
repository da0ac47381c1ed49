/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/** A proportion with its confidence interval. */
export interface RateInterval {
  readonly successes: number;
  readonly trials: number;
  /** successes / trials (0 when trials is 0). */
  readonly rate: number;
  readonly low: number;
  readonly high: number;
}

/**
 * Wilson score interval for a binomial proportion: unlike the normal (Wald) interval it stays inside
 * [0, 1] and keeps its coverage for small counts and rates near 0, which is where click-through lives.
 */
export function wilsonInterval(successes: number, trials: number, z = Z95): RateInterval {
  if (trials <= 0) return { successes, trials, rate: 0, low: 0, high: 1 };
  const p = successes / trials;
  const z2 = z * z;
  const denom = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denom;
  // the bounds are exactly 0 and 1 at the extremes (floating point would leave ~1e-18)
  const low = successes <= 0 ? 0 : Math.max(0, centre - half);
  const high = successes >= trials ? 1 : Math.min(1, centre + half);
  return { successes, trials, rate: p, low, high };
}

/**
 * Standard normal CDF via the complementary error function (W. J. Cody's rational approximation as in
 * Numerical Recipes' erfc, relative error < 1.2e-7): enough for p-values.
 */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** The result of comparing an arm's rate with the control's. */
export interface ProportionTest {
  /** rate(arm) - rate(control). */
  readonly diff: number;
  /** 95% (Wald, unpooled) interval of the difference. */
  readonly diffLow: number;
  readonly diffHigh: number;
  /** Pooled two-proportion z statistic. */
  readonly z: number;
  /** Two-sided p-value. */
  readonly pValue: number;
}

/**
 * Two-proportion z-test of arm (x1/n1) against control (x2/n2): pooled standard error for the test
 * statistic (the null says both rates are equal), unpooled for the interval of the difference.
 * Undefined when either arm has no trials or the pooled rate is 0 or 1 (no variance to test).
 */
export function twoProportionTest(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  z = Z95,
): ProportionTest | undefined {
  if (n1 <= 0 || n2 <= 0) return undefined;
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return undefined;
  const stat = (p1 - p2) / se;
  const seDiff = Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  const diff = p1 - p2;
  return {
    diff,
    diffLow: diff - z * seDiff,
    diffHigh: diff + z * seDiff,
    z: stat,
    pValue: Math.min(1, 2 * (1 - normalCdf(Math.abs(stat)))),
  };
}
