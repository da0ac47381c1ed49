import { ValidationError } from '../../errors.js';
import type { FmLoss } from '../fm-model.js';
import { DEFAULT_EVENT_WEIGHTS } from '../recommender.js';

export interface FmOptions {
  /** Latent factors k (default 64). */
  readonly factors?: number;
  /**
   * Ranking loss (default 'warp-batch'). 'warp-batch' (WMRB, Liu & Natarajan 2017) scores one shared pool
   * of `poolSize` negatives per user mini-batch instead of sampling up to maxSampled negatives per positive
   * as 'warp' does: same validation precision on ML-100K at about half the CPU, which pays for ensembles.
   */
  readonly loss?: FmLoss;
  /** warp-batch: negatives drawn once per user and shared by all its positives (default 256). */
  readonly poolSize?: number;
  /**
   * warp-batch: each positive's gradient goes to 'one' violator drawn at random (default; WARP-like) or to
   * 'all' its violators evenly (WMRB proper; lower ML-100K validation, more item updates).
   */
  readonly poolUpdates?: 'all' | 'one';
  /** Optimizer (default 'adagrad'). */
  readonly optimizer?: 'adagrad' | 'adam';
  /** Base learning rate (default 0.05 for Adagrad, 0.005 for Adam). */
  readonly learningRate?: number;
  /** Learning rate of epoch e (0-based) is learningRate / (1 + decay·e) (default 0.1). */
  readonly learningRateDecay?: number;
  /** L2 penalty on the factor rows and weights touched by an update (default 3e-4). */
  readonly l2?: number;
  /** L2 penalty on the linear weights w (item biases); default l2. */
  readonly biasL2?: number;
  /** WARP: negatives drawn per positive before giving up (default 50). */
  readonly maxSampled?: number;
  /** WARP margin (default 1). */
  readonly margin?: number;
  /** Maximum epochs (default 40). */
  readonly epochs?: number;
  /** Stop after this many epochs without validation improvement (default 4). */
  readonly patience?: number;
  /** Smallest validation gain that restarts the patience count (default 0: any gain). */
  readonly minImprovement?: number;
  /** Fraction of each user's training items held out for validation; 0 disables early stopping (default 0.1). */
  readonly validationFraction?: number;
  /** Which items are held out: 'random' (matches a random split) or the most 'recent' (default 'random'). */
  readonly validationHoldout?: 'random' | 'recent';
  /** Early-stopping metric (default 'precision' = precision@10). */
  readonly validationMetric?: 'precision' | 'auc';
  /** At most this many validation users are scored per epoch (default 2000). */
  readonly validationUsers?: number;
  /** After early stopping, retrain on all training data for the best epoch count (default false). */
  readonly refit?: boolean;
  /** Use dataset.userAttributes / itemAttributes as features (default true). */
  readonly userAttributes?: boolean;
  readonly itemAttributes?: boolean;
  /**
   * Weight of each attribute column (split evenly among a multi-valued field's values; default 0.3, so the
   * id features dominate for users and items with history — best on the ML-100K validation split).
   */
  readonly attributeWeight?: number;
  /** Fraction of negatives drawn ∝ popularity^popularityExponent instead of uniformly (default 0). */
  readonly popularityNegatives?: number;
  readonly popularityExponent?: number;
  /** Sample weights by event type (case-insensitive; default DEFAULT_EVENT_WEIGHTS, unknown types 1). */
  readonly eventWeights?: Readonly<Record<string, number>>;
  /** Standard deviation of the initial factors (default 0.1 / √k). */
  readonly initStd?: number;
  /**
   * After early stopping, train the kept parameters this many more epochs on all training data, validation
   * pairs included (default 4; ignored with refit).
   */
  readonly finetuneEpochs?: number;
  /**
   * Add the user's training items as user-side features (weight historyWeight/√|N(u)|, SVD++/FISM style),
   * trained in per-user mini-batches (default true; false trains per pair with id + attribute features only).
   */
  readonly historyFeatures?: boolean;
  /** Total weight of the history features (default 0.5). */
  readonly historyWeight?: number;
  /** Evaluate and keep an exponential moving average of the parameters across epochs (0 = off, default). */
  readonly parameterEma?: number;
  readonly seed?: number;
}

export interface Resolved {
  k: number;
  loss: FmLoss;
  poolSize: number;
  poolUpdates: 'all' | 'one';
  optimizer: 'adagrad' | 'adam';
  lr: number;
  decay: number;
  l2: number;
  biasL2: number;
  maxSampled: number;
  margin: number;
  epochs: number;
  patience: number;
  minImprovement: number;
  validationFraction: number;
  validationHoldout: 'random' | 'recent';
  validationMetric: 'precision' | 'auc';
  validationUsers: number;
  refit: boolean;
  userAttributes: boolean;
  itemAttributes: boolean;
  attributeWeight: number;
  popularityNegatives: number;
  popularityExponent: number;
  eventWeights: Readonly<Record<string, number>>;
  initStd: number;
  parameterEma: number;
  finetuneEpochs: number;
  historyFeatures: boolean;
  historyWeight: number;
  seed: number;
}

/*
 * Defaults re-checked on ML-100K (bench/fm.ts; mean best validation P@10 over split seeds 42/1/2/3, base
 * 0.1283): maxSampled 100 → 0.1274, 300 → 0.1268 (and +50% CPU); factors 96 → 0.1264; l2 1e-4 / 6e-4 /
 * 1e-3 → ≤0.1283 / 0.1276 / 0.1275; biasL2 0 → 0.1277; learningRateDecay 0.05 / 0.2 → 0.1286 (2 seeds) /
 * 0.1280; historyWeight 0.35 / 1 → 0.1263 / 0.1268 (2 seeds); maxSampled 30 → 0.1256. None better; most
 * within validation noise (≈±0.002). Test P@10 means of those runs ranged 0.3665–0.3703, also noise-level.
 *
 * Loss and ensembles (bench/fm.ts, split seed → best validation P@10 / test P@10 / train s on 2 cores):
 *   loss (one member, seed 42)               | split 1               | split 3
 *   warp (old default)                        | — / 0.3686 / 25.6     | — / 0.3591 / ≈31
 *   warp-batch pool 256, all violators        | 0.1261 / 0.3674 / 15.5| —
 *   warp-batch pool 1024, all violators       | 0.1296 / 0.3671 / 38.3| —
 *   warp-batch pool 256, one violator         | 0.1298 / 0.3692 / 24* | — / 0.3664 / 13*
 *   warp-batch pool 1024, one violator        | 0.1284 / 0.3672 / 20* | —
 *   … one violator, patience 2                | —                     | 0.1234 / 0.3599 / 12
 *   … one violator, learningRate 0.1          | —                     | 0.1183 / 0.3456 / 8
 *   … one violator, no item attributes        | 0.1287 / 0.3577 / 14† | 0.1240 / 0.3569 / 11†
 *   (All but the first row: two runs sharing the 2 cores, ≈1.5–2× a lone run; † CPU s.)
 *   Averaged members (bench/tmp experiment, seeds 42/7/9, warp-batch/one): split 3 members
 *   0.3664/0.3629/0.3673 → mean of 2 0.3717, of 3 0.3744; split 1 members 0.3692/0.3628/0.3585 → 0.3701,
 *   0.3722. WARP members averaged the same way: split 1 → 0.3729 (2), 0.3715 (3); split 3 → 0.3685, 0.3700.
 *   Defaults now warp-batch, pool 256, one violator, 2 members (worker threads, merged into one FM):
 *   split 42/1/2/3 test P@10 0.3752/0.3734/0.3744/0.3738, mean member validation 0.1267/0.1314/0.1286/
 *   0.1296 (warp: mean 0.1283); 17–22 s wall when the machine is idle, 26–38 s CPU.
 *   minImprovement 0.001 (patience restarts only on a gain ≥ 0.001) halves the time but lowers member
 *   validation (2 members, splits 1/2: validation 0.1285/0.1261, test 0.3702/0.3756, 11–12 s wall); with 3
 *   members splits 1/42/2/3 test 0.3706/0.3792/0.3800/0.3750, 20–29 s wall, 31–44 s CPU; with 4 members
 *   splits 1/3 0.3730/0.3750, 22–23 s wall, 42 s CPU. Kept 0 (better validation, less CPU).
 *   Rejected with 2 members: patience 3 + epochs 24 (split 1 0.3686, split 2 0.3734), pool 128 (validation
 *   0.1277/0.1250, test 0.3627/0.3667 on splits 1/2).
 */
export function resolve(o: FmOptions = {}): Resolved {
  const k = o.factors ?? 64;
  const optimizer = o.optimizer ?? 'adagrad';
  const r: Resolved = {
    k,
    loss: o.loss ?? 'warp-batch',
    poolSize: o.poolSize ?? 256,
    poolUpdates: o.poolUpdates ?? 'one',
    optimizer,
    lr: o.learningRate ?? (optimizer === 'adam' ? 0.005 : 0.05),
    decay: o.learningRateDecay ?? 0.1,
    l2: o.l2 ?? 3e-4,
    biasL2: o.biasL2 ?? o.l2 ?? 3e-4,
    maxSampled: o.maxSampled ?? 50,
    margin: o.margin ?? 1,
    epochs: o.epochs ?? 40,
    patience: o.patience ?? 4,
    minImprovement: o.minImprovement ?? 0,
    validationFraction: o.validationFraction ?? 0.1,
    validationHoldout: o.validationHoldout ?? 'random',
    validationMetric: o.validationMetric ?? 'precision',
    validationUsers: o.validationUsers ?? 2000,
    refit: o.refit ?? false,
    userAttributes: o.userAttributes ?? true,
    itemAttributes: o.itemAttributes ?? true,
    attributeWeight: o.attributeWeight ?? 0.3,
    popularityNegatives: o.popularityNegatives ?? 0,
    popularityExponent: o.popularityExponent ?? 0.75,
    eventWeights: o.eventWeights ?? DEFAULT_EVENT_WEIGHTS,
    initStd: o.initStd ?? 0.1 / Math.sqrt(k),
    parameterEma: o.parameterEma ?? 0,
    finetuneEpochs: o.finetuneEpochs ?? 4,
    historyFeatures: o.historyFeatures ?? true,
    historyWeight: o.historyWeight ?? 0.5,
    seed: o.seed ?? 42,
  };
  if (!Number.isInteger(r.k) || r.k < 1)
    throw new ValidationError('factors must be a positive integer', 'factors');
  if (!Number.isInteger(r.epochs) || r.epochs < 1) throw new ValidationError('epochs must be ≥ 1', 'epochs');
  if (!Number.isInteger(r.maxSampled) || r.maxSampled < 1)
    throw new ValidationError('maxSampled must be ≥ 1', 'maxSampled');
  if (!(r.lr > 0)) throw new ValidationError('learningRate must be > 0', 'learningRate');
  if (!(r.l2 >= 0)) throw new ValidationError('l2 must be ≥ 0', 'l2');
  if (!(r.biasL2 >= 0)) throw new ValidationError('biasL2 must be ≥ 0', 'biasL2');
  if (!(r.minImprovement >= 0)) throw new ValidationError('minImprovement must be ≥ 0', 'minImprovement');
  if (!(r.validationFraction >= 0 && r.validationFraction < 1))
    throw new ValidationError('validationFraction must be in [0, 1)', 'validationFraction');
  if (!(r.popularityNegatives >= 0 && r.popularityNegatives <= 1))
    throw new ValidationError('popularityNegatives must be in [0, 1]', 'popularityNegatives');
  if (!(r.parameterEma >= 0 && r.parameterEma < 1))
    throw new ValidationError('parameterEma must be in [0, 1)', 'parameterEma');
  if (!Number.isInteger(r.poolSize) || r.poolSize < 1)
    throw new ValidationError('poolSize must be a positive integer', 'poolSize');
  if (r.loss !== 'warp' && r.loss !== 'bpr' && r.loss !== 'warp-batch')
    throw new ValidationError(`unknown loss ${String(r.loss)}`, 'loss');
  if (r.optimizer !== 'adagrad' && r.optimizer !== 'adam')
    throw new ValidationError(`unknown optimizer ${String(r.optimizer)}`, 'optimizer');
  return r;
}

/** Throws the ValidationError trainFm would throw for `options` (checked before any worker starts). */
export function validateFmOptions(options?: FmOptions): void {
  resolve(options);
}
