/**
 * Where the request path gets an arm's candidates: 'precomputed' = the nightly per-user lists;
 * 'recent-events' = the user's recent events × the published item neighbours, over the precomputed lists.
 */
export type RequestSource = 'precomputed' | 'recent-events';
