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

/** ln Γ(x) for x > 0 (Lanczos, g = 7, nine coefficients; ~15 digits). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let a = c[0];
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Upper regularised incomplete gamma Q(s, x): series below s + 1, continued fraction above (Numerical Recipes). */
function upperGamma(s: number, x: number): number {
  if (x <= 0) return 1;
  const lg = logGamma(s);
  if (x < s + 1) {
    let sum = 1 / s;
    let term = sum;
    for (let n = 1; n < 500 && Math.abs(term) > Math.abs(sum) * 1e-15; n++) {
      term *= x / (s + n);
      sum += term;
    }
    return 1 - sum * Math.exp(-x + s * Math.log(x) - lg);
  }
  let b = x + 1 - s;
  let c = 1e300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - s);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(-x + s * Math.log(x) - lg) * h;
}

/** P(X ≥ x) for a chi-square variable with `df` degrees of freedom. */
export function chiSquareSurvival(x: number, df: number): number {
  return Math.min(1, Math.max(0, upperGamma(df / 2, x / 2)));
}

/** Below this p-value the observed split is called a sample-ratio mismatch (the usual, deliberately strict, SRM threshold). */
export const SRM_P_THRESHOLD = 0.001;

export interface SampleRatioCheck {
  readonly chiSquare: number;
  readonly pValue: number;
  /** True when pValue < SRM_P_THRESHOLD: traffic does not split as configured, so the arms' rates are suspect. */
  readonly mismatch: boolean;
}

/**
 * Sample-ratio-mismatch test: Pearson's chi-square of the observed counts per arm against the configured
 * weights. Undefined with fewer than two arms or no traffic.
 */
export function sampleRatioCheck(
  observed: readonly number[],
  weights: readonly number[],
): SampleRatioCheck | undefined {
  const n = observed.reduce((a, b) => a + b, 0);
  const w = weights.reduce((a, b) => a + b, 0);
  if (observed.length < 2 || n <= 0 || w <= 0) return undefined;
  let chi = 0;
  for (let i = 0; i < observed.length; i++) {
    const expected = (n * weights[i]) / w;
    chi += expected > 0 ? (observed[i] - expected) ** 2 / expected : 0;
  }
  const pValue = chiSquareSurvival(chi, observed.length - 1);
  return { chiSquare: chi, pValue, mismatch: pValue < SRM_P_THRESHOLD };
}

/**
 * Holm–Bonferroni adjusted p-values (same order as given): controls the family-wise error rate across all
 * comparisons at once, uniformly more powerful than plain Bonferroni. Undefined entries stay undefined.
 */
export function holmAdjust(pValues: readonly (number | undefined)[]): (number | undefined)[] {
  const idx = pValues
    .flatMap((p, i) => (p === undefined ? [] : [i]))
    .sort((a, b) => pValues[a]! - pValues[b]!);
  const out: (number | undefined)[] = pValues.map(() => undefined);
  let running = 0;
  idx.forEach((i, rank) => {
    running = Math.max(running, Math.min(1, (idx.length - rank) * pValues[i]!));
    out[i] = running;
  });
  return out;
}
