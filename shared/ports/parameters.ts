/** A named string setting that changes at run time (AWS: SSM Parameter Store; locally: the state table). */
export interface ParameterReader {
  /** The value, or undefined when the parameter does not exist. Throws on failure. */
  get(name: string): Promise<string | undefined>;
}

/** Readable and writable parameters (the local stand-in; on AWS only the state machine writes, via its ASL). */
export interface ParameterStore extends ParameterReader {
  put(name: string, value: string): Promise<void>;
}

/** The SSM parameter the retraining state machine writes after its gate passes and the campaign is ACTIVE. */
export function campaignParameterName(stage: string): string {
  return `/osusume/${stage}/personalize/campaign-arn`;
}
