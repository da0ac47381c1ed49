import type { ParameterStore } from '../../ports/parameters.js';
import type { LocalTask } from './state-machine-runner.js';

type Status = 'CREATE PENDING' | 'CREATE IN_PROGRESS' | 'ACTIVE' | 'CREATE FAILED';

interface Resource {
  readonly arn: string;
  readonly createdAt: number;
  /** Why it fails once it leaves IN_PROGRESS; undefined = it becomes ACTIVE. */
  readonly failure?: string;
  readonly input: Record<string, unknown>;
}

export interface PersonalizeSimulatorOptions {
  /** Time each of CREATE PENDING and CREATE IN_PROGRESS lasts (ms) on the shortened clock; default 15. */
  readonly stepMs?: number;
  /** A failure reason for an import job of this dataset type (interactions, users, items), or undefined. */
  readonly failImport?: (datasetType: string) => string | undefined;
  /** Metrics of a new solution version (default: mid values, better with HPO). */
  readonly versionMetrics?: (solution: Record<string, unknown>) => Record<string, number>;
  /** The metrics of the campaign's current solution version. */
  readonly currentMetrics?: Record<string, number>;
  readonly now?: () => number;
  /** Where ssm:putParameter writes (the local stack passes the state table's stand-in); default in memory. */
  readonly parameters?: ParameterStore;
}

/** One recorded control-plane call (action name as in the aws-sdk integration ARN). */
export interface SimulatedCall {
  readonly action: string;
  readonly input: Record<string, unknown>;
}

const ACCOUNT = '000000000000';
const REGION = 'ap-northeast-1';
const SDK = 'arn:aws:states:::aws-sdk:personalize:';
const SSM_PUT_PARAMETER = 'arn:aws:states:::aws-sdk:ssm:putParameter';

/** SSM parameters in memory, when the simulator is given no store. */
class MemoryParameters implements ParameterStore {
  readonly values = new Map<string, string>();
  async get(name: string) {
    return this.values.get(name);
  }
  async put(name: string, value: string) {
    this.values.set(name, value);
  }
}

function sdkError(name: string, message: string): Error {
  const e = new Error(message);
  // the error name Step Functions reports for aws-sdk integrations
  e.name = `Personalize.${name}`;
  return e;
}

/**
 * An in-memory stand-in for the Amazon Personalize control plane used by the retraining state machine:
 * import jobs, solutions, solution versions and campaign updates move CREATE PENDING → CREATE IN_PROGRESS →
 * ACTIVE (or CREATE FAILED) on a shortened clock, so the ASL's Wait + Describe + Choice loops really
 * poll. Requests and responses use the PascalCase shapes of Step Functions' aws-sdk integrations.
 */
export class PersonalizeSimulator {
  readonly calls: SimulatedCall[] = [];
  /** The store ssm:putParameter writes to. */
  readonly parameters: ParameterStore;
  private readonly jobs = new Map<string, Resource>();
  private readonly solutions = new Map<string, Resource>();
  private readonly versions = new Map<string, Resource & { metrics: Record<string, number> }>();
  private readonly stepMs: number;
  private readonly now: () => number;
  /** The campaign's deployed solution version and its pending update (if any). */
  campaign: { arn: string; solutionVersionArn: string; update?: Resource };

  constructor(private readonly options: PersonalizeSimulatorOptions = {}) {
    this.stepMs = options.stepMs ?? 15;
    this.parameters = options.parameters ?? new MemoryParameters();
    this.now = options.now ?? Date.now;
    const initial = `arn:aws:personalize:${REGION}:${ACCOUNT}:solution/osusume-initial/initial`;
    this.versions.set(initial, {
      arn: initial,
      createdAt: 0,
      input: {},
      metrics: options.currentMetrics ?? {
        normalized_discounted_cumulative_gain_at_10: 0.1,
        precision_at_10: 0.05,
      },
    });
    this.campaign = { arn: '', solutionVersionArn: initial };
  }

  private status(r: Resource): Status {
    const age = this.now() - r.createdAt;
    if (age < this.stepMs) return 'CREATE PENDING';
    if (age < 2 * this.stepMs) return 'CREATE IN_PROGRESS';
    return r.failure ? 'CREATE FAILED' : 'ACTIVE';
  }

  private get<T extends Resource>(map: Map<string, T>, arn: unknown, kind: string): T {
    const r = map.get(String(arn));
    if (!r) throw sdkError('ResourceNotFoundException', `${kind} ${String(arn)} does not exist`);
    return r;
  }

  /** Bootstrap resources by ARN (dataset groups, schemas, datasets, event trackers) and IAM roles by name. */
  private readonly bootstrap = new Map<string, Resource>();
  private readonly roles = new Map<string, { arn: string; policies: Map<string, string> }>();

  /**
   * The control plane as SDK clients see it (camelCase shapes, `send(command)`), for `osusume personalize
   * bootstrap --local`: pass `personalize` as a PersonalizeClient and `iam` as an IAMClient.
   */
  sdkClients(): {
    personalize: { send(command: object): Promise<unknown> };
    iam: { send(command: object): Promise<unknown> };
  } {
    const arn = (kind: string, name: string) => `arn:aws:personalize:${REGION}:${ACCOUNT}:${kind}/${name}`;
    const list = (kind: string, where: (r: Resource) => boolean = () => true) =>
      [...this.bootstrap.values()].filter((r) => r.arn.includes(`:${kind}/`) && where(r));
    const create = (resourceArn: string, input: Record<string, unknown>, what: string) => {
      if (this.bootstrap.has(resourceArn))
        throw Object.assign(new Error(`${what} ${resourceArn} already exists`), {
          name: 'ResourceAlreadyExistsException',
        });
      this.bootstrap.set(resourceArn, { arn: resourceArn, createdAt: this.now(), input });
    };
    const personalize: Record<string, (i: Record<string, unknown>) => unknown> = {
      ListDatasetGroups: () => ({
        datasetGroups: list('dataset-group').map((r) => ({ name: r.input.name, datasetGroupArn: r.arn })),
      }),
      CreateDatasetGroup: (i) => {
        const a = arn('dataset-group', String(i.name));
        create(a, i, 'dataset group');
        return { datasetGroupArn: a };
      },
      DescribeDatasetGroup: (i) => {
        const r = this.bootstrap.get(String(i.datasetGroupArn));
        if (!r)
          throw Object.assign(new Error(`${String(i.datasetGroupArn)} does not exist`), {
            name: 'ResourceNotFoundException',
          });
        return { datasetGroup: { datasetGroupArn: r.arn, name: r.input.name, status: this.status(r) } };
      },
      ListSchemas: () => ({ schemas: list('schema').map((r) => ({ name: r.input.name, schemaArn: r.arn })) }),
      CreateSchema: (i) => {
        JSON.parse(String(i.schema)); // an invalid schema fails as Personalize would
        const a = arn('schema', String(i.name));
        create(a, i, 'schema');
        return { schemaArn: a };
      },
      ListDatasets: (i) => ({
        datasets: list('dataset', (r) => r.input.datasetGroupArn === i.datasetGroupArn).map((r) => ({
          name: r.input.name,
          datasetArn: r.arn,
          datasetType: r.input.datasetType,
        })),
      }),
      CreateDataset: (i) => {
        const group = String(i.datasetGroupArn).split('/').pop();
        const a = arn('dataset', `${group}/${String(i.datasetType).toUpperCase()}`);
        create(a, i, 'dataset');
        return { datasetArn: a };
      },
      ListEventTrackers: (i) => ({
        eventTrackers: list('event-tracker', (r) => r.input.datasetGroupArn === i.datasetGroupArn).map(
          (r) => ({
            name: r.input.name,
            eventTrackerArn: r.arn,
          }),
        ),
      }),
      CreateEventTracker: (i) => {
        const a = arn('event-tracker', String(i.name));
        create(a, i, 'event tracker');
        return { eventTrackerArn: a, trackingId: `local-${String(i.name)}` };
      },
      DescribeEventTracker: (i) => {
        const r = this.bootstrap.get(String(i.eventTrackerArn));
        return { eventTracker: { eventTrackerArn: r?.arn, trackingId: `local-${String(r?.input.name)}` } };
      },
    };
    const noRole = (name: unknown) =>
      Object.assign(new Error(`role ${String(name)} not found`), { name: 'NoSuchEntityException' });
    const iam: Record<string, (i: Record<string, unknown>) => unknown> = {
      GetRole: (i) => {
        const r = this.roles.get(String(i.RoleName));
        if (!r) throw noRole(i.RoleName);
        return { Role: { RoleName: i.RoleName, Arn: r.arn } };
      },
      CreateRole: (i) => {
        if (this.roles.has(String(i.RoleName)))
          throw Object.assign(new Error('role exists'), { name: 'EntityAlreadyExistsException' });
        const r = {
          arn: `arn:aws:iam::${ACCOUNT}:role/${String(i.RoleName)}`,
          policies: new Map<string, string>(),
        };
        this.roles.set(String(i.RoleName), r);
        return { Role: { RoleName: i.RoleName, Arn: r.arn } };
      },
      GetRolePolicy: (i) => {
        const doc = this.roles.get(String(i.RoleName))?.policies.get(String(i.PolicyName));
        if (doc === undefined) throw noRole(i.RoleName);
        return { PolicyDocument: encodeURIComponent(doc) };
      },
      PutRolePolicy: (i) => {
        const r = this.roles.get(String(i.RoleName));
        if (!r) throw noRole(i.RoleName);
        r.policies.set(String(i.PolicyName), String(i.PolicyDocument));
        return {};
      },
    };
    const client = (service: string, handlers: Record<string, (i: Record<string, unknown>) => unknown>) => ({
      send: async (command: object) => {
        const action = command.constructor.name.replace(/Command$/, '');
        const handler = Object.hasOwn(handlers, action) ? handlers[action] : undefined;
        if (!handler) throw new Error(`the simulator does not answer ${service}:${action}`);
        const input = (command as { input?: Record<string, unknown> }).input ?? {};
        this.calls.push({ action: `${service}:${action}`, input });
        return handler(input);
      },
    });
    return { personalize: client('personalize', personalize), iam: client('iam', iam) };
  }

  /** Service-integration handlers by Resource ARN for runStateMachineLocally. */
  services(): Record<string, LocalTask> {
    const h: Record<string, (input: Record<string, unknown>) => unknown> = {
      createDatasetImportJob: (i) => {
        const type = String(i.DatasetArn).split('/').pop()?.toLowerCase() ?? '';
        const arn = `arn:aws:personalize:${REGION}:${ACCOUNT}:dataset-import-job/${String(i.JobName)}`;
        if (this.jobs.has(arn)) throw sdkError('ResourceAlreadyExistsException', `${arn} exists`);
        this.jobs.set(arn, {
          arn,
          createdAt: this.now(),
          input: i,
          failure: this.options.failImport?.(type),
        });
        return { DatasetImportJobArn: arn };
      },
      describeDatasetImportJob: (i) => {
        const r = this.get(this.jobs, i.DatasetImportJobArn, 'dataset import job');
        const status = this.status(r);
        return {
          DatasetImportJob: {
            DatasetImportJobArn: r.arn,
            JobName: r.input.JobName,
            DatasetArn: r.input.DatasetArn,
            Status: status,
            ...(status === 'CREATE FAILED' ? { FailureReason: r.failure } : {}),
          },
        };
      },
      createSolution: (i) => {
        const arn = `arn:aws:personalize:${REGION}:${ACCOUNT}:solution/${String(i.Name)}`;
        this.solutions.set(arn, { arn, createdAt: this.now(), input: i });
        return { SolutionArn: arn };
      },
      describeSolution: (i) => {
        const r = this.get(this.solutions, i.SolutionArn, 'solution');
        return { Solution: { SolutionArn: r.arn, Status: this.status(r), PerformHPO: r.input.PerformHPO } };
      },
      createSolutionVersion: (i) => {
        const solution = this.get(this.solutions, i.SolutionArn, 'solution');
        if (this.status(solution) !== 'ACTIVE')
          throw sdkError('ResourceInUseException', `${solution.arn} is not ACTIVE`);
        const arn = `${solution.arn}/${(this.versions.size + 1).toString(16).padStart(8, '0')}`;
        const hpo = solution.input.PerformHPO === true;
        const metrics = this.options.versionMetrics?.(solution.input) ?? {
          normalized_discounted_cumulative_gain_at_10: hpo ? 0.16 : 0.15,
          precision_at_10: hpo ? 0.07 : 0.065,
        };
        this.versions.set(arn, {
          arn,
          createdAt: this.now(),
          input: { ...i, solution: solution.input },
          metrics,
        });
        return { SolutionVersionArn: arn };
      },
      describeSolutionVersion: (i) => {
        const r = this.get(this.versions, i.SolutionVersionArn, 'solution version');
        const solution = r.input.solution as Record<string, unknown> | undefined;
        const status = this.status(r);
        return {
          SolutionVersion: {
            SolutionVersionArn: r.arn,
            Status: status,
            TrainingMode: r.input.TrainingMode,
            PerformHPO: solution?.PerformHPO === true,
            ...(solution?.PerformHPO === true && status === 'ACTIVE'
              ? { TunedHPOParams: { AlgorithmHyperParameters: { hidden_dimension: '149', bptt: '32' } } }
              : {}),
          },
        };
      },
      getSolutionMetrics: (i) => {
        const r = this.get(this.versions, i.SolutionVersionArn, 'solution version');
        return { SolutionVersionArn: r.arn, Metrics: r.metrics };
      },
      describeCampaign: (i) => {
        const u = this.campaign.update;
        const updateStatus = u ? this.status(u) : undefined;
        if (u && updateStatus === 'ACTIVE') {
          this.campaign = {
            ...this.campaign,
            solutionVersionArn: String(u.input.SolutionVersionArn),
            update: undefined,
          };
        }
        return {
          Campaign: {
            CampaignArn: i.CampaignArn,
            Status: 'ACTIVE',
            SolutionVersionArn: this.campaign.solutionVersionArn,
            LatestCampaignUpdate: {
              // CampaignUpdateSummary uses the same CREATE PENDING → CREATE IN_PROGRESS → ACTIVE / CREATE FAILED
              Status: updateStatus ?? 'ACTIVE',
              SolutionVersionArn: u ? u.input.SolutionVersionArn : this.campaign.solutionVersionArn,
            },
          },
        };
      },
      updateCampaign: (i) => {
        this.get(this.versions, i.SolutionVersionArn, 'solution version');
        this.campaign = {
          ...this.campaign,
          arn: String(i.CampaignArn),
          update: { arn: String(i.CampaignArn), createdAt: this.now(), input: i },
        };
        return { CampaignArn: i.CampaignArn };
      },
    };
    const out: Record<string, LocalTask> = {};
    for (const [action, fn] of Object.entries(h)) {
      out[`${SDK}${action}`] = async (input) => {
        const i = (input ?? {}) as Record<string, unknown>;
        this.calls.push({ action, input: i });
        return fn(i);
      };
    }
    out[SSM_PUT_PARAMETER] = async (input) => {
      const i = (input ?? {}) as Record<string, unknown>;
      this.calls.push({ action: 'ssm:putParameter', input: i });
      if (typeof i.Name !== 'string' || typeof i.Value !== 'string')
        throw Object.assign(new Error('putParameter needs Name and Value'), {
          name: 'SSM.ValidationException',
        });
      await this.parameters.put(i.Name, i.Value);
      return { Version: 1, Tier: 'Standard' };
    };
    return out;
  }
}
