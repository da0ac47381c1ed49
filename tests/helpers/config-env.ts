/** The smallest environment the configuration accepts: the five table names serverless.yml sets. */
export const TABLES_ENV = {
  TABLE_RECOMMENDATIONS: 'r-table',
  TABLE_STATE: 's-table',
  TABLE_NG_ITEMS: 'n-table',
  TABLE_USERS: 'u-table',
  TABLE_EVENTS: 'e-table',
} as const;
