import type { ParameterStore } from '../../ports/parameters.js';
import type { PipelineStateStore } from '../../ports/stores.js';

/** State-table key of a parameter's local stand-in. */
export const parameterRecordKey = (name: string) => `parameter#${name}`;

/**
 * LOCAL STAND-IN for SSM Parameter Store: each parameter is a record of the state table, so the
 * retraining run (the simulator's ssm:putParameter) and the server of `osusume start` share it.
 */
export class StateParameterStore implements ParameterStore {
  constructor(private readonly state: PipelineStateStore) {}

  async get(name: string): Promise<string | undefined> {
    const record = await this.state.getRecord<{ value: string }>(parameterRecordKey(name));
    return typeof record?.value === 'string' ? record.value : undefined;
  }

  async put(name: string, value: string): Promise<void> {
    await this.state.putRecord(parameterRecordKey(name), { value, updatedAt: new Date().toISOString() });
  }
}
