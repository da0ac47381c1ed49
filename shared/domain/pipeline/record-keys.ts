/** Keys of the pipeline's state records that more than the pipeline reads (the console's model route). */

/** One algorithm's metrics of one version. */
export const metricsKey = (algorithm: string, version: string) => `metrics#${algorithm}#${version}`;
/** One algorithm's recent metrics records, oldest first. */
export const metricsHistoryKey = (algorithm: string) => `metrics-history#${algorithm}`;
/** The quality gate's decision on one nightly version. */
export const gateKey = (version: string) => `gate#${version}`;
/** What one algorithm's own trainer search chose on the last tuning night (TrainerSearchRecord). */
export const trainerSearchKey = (algorithm: string) => `trainer-search#${algorithm}`;
