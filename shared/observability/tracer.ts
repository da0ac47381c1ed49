import { Tracer } from '@aws-lambda-powertools/tracer';

/** X-Ray tracer for pipeline functions (off outside Lambda). */
export const tracer = new Tracer({
  serviceName: 'osusume',
  enabled: process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined,
});
