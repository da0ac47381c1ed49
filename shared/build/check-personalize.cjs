// Resolves PERSONALIZE_MODE at `serverless package` time (offline, no AWS call) and refuses a stage
// that would serve the personalize arm from a campaign nobody named: `${file(./shared/build/check-personalize.cjs):mode}`.
'use strict';

const MODES = ['campaign', 'standin', 'off'];
// the default experiment (shared/domain/experiments) has a personalize arm on `home`
const DEFAULT_HAS_PERSONALIZE = true;

/** Whether OSUSUME_EXPERIMENTS (JSON; empty = the default experiment) gives traffic to a personalize arm. */
function personalizeArmOn(experiments) {
  if (!experiments) return DEFAULT_HAS_PERSONALIZE;
  let parsed;
  try {
    parsed = JSON.parse(experiments);
  } catch (err) {
    throw clean(`OSUSUME_EXPERIMENTS is not valid JSON: ${err.message}`);
  }
  const slots = parsed && typeof parsed === 'object' ? parsed.slots : undefined;
  if (!slots || typeof slots !== 'object') return false;
  return Object.values(slots).some(
    (slot) =>
      Array.isArray(slot?.arms) &&
      slot.arms.some((a) => a?.algorithm === 'personalize' && (a.weight === undefined || a.weight > 0)),
  );
}

/** An error serverless prints as one line (no stack). */
function clean(message) {
  const err = new Error(message);
  err.stack = message;
  return err;
}

/**
 * The mode for a stage: env PERSONALIZE_MODE, else --param=personalizeMode (serverless.yml: campaign on
 * prod, off elsewhere). Mode campaign needs a campaign: env PERSONALIZE_CAMPAIGN_ARN or
 * --param=personalizeCampaign=NAME (whose ARN the retraining machine then publishes to SSM).
 */
async function resolveMode({ env, stage, param }) {
  const mode = env.PERSONALIZE_MODE || param.personalizeMode || 'off';
  if (!MODES.includes(mode))
    throw clean(`PERSONALIZE_MODE must be one of ${MODES.join(', ')}, got '${mode}' (stage ${stage})`);
  if (mode !== 'campaign' || stage === 'local') return mode;
  if (!personalizeArmOn(env.OSUSUME_EXPERIMENTS)) return mode;
  if (env.PERSONALIZE_CAMPAIGN_ARN || param.personalizeCampaign) return mode;
  throw clean(
    `stage ${stage} serves the personalize arm (OSUSUME_EXPERIMENTS) with PERSONALIZE_MODE=campaign but names no campaign: ` +
      'run `osusume personalize bootstrap --stage ' +
      stage +
      '`, create the campaign, then pass --param="personalizeCampaign=<campaign name>" ' +
      '(or PERSONALIZE_CAMPAIGN_ARN=arn:...), or set PERSONALIZE_MODE=off|standin, or take the personalize arm out of OSUSUME_EXPERIMENTS',
  );
}

/** A stage parameter the way ${param:NAME} reads it: --param="NAME=value", else params.<stage>, else params.default. */
async function stageParam({ options, resolveConfigurationProperty }, stage, name) {
  const cli = [].concat(options?.param ?? []).find((p) => String(p).startsWith(`${name}=`));
  if (cli !== undefined) return String(cli).slice(name.length + 1) || undefined;
  for (const scope of [stage, 'default']) {
    const value = await resolveConfigurationProperty(['params', scope, name]);
    if (value !== undefined && value !== null && value !== '') return String(value);
  }
  return undefined;
}

module.exports = {
  resolveMode,
  personalizeArmOn,
  /** serverless variable source: `${file(./shared/build/check-personalize.cjs):mode}`. */
  mode: async (ctx) => {
    const stage = await ctx.resolveVariable('sls:stage');
    const param = {
      personalizeMode: await stageParam(ctx, stage, 'personalizeMode'),
      personalizeCampaign: await stageParam(ctx, stage, 'personalizeCampaign'),
    };
    return resolveMode({ env: process.env, stage, param });
  },
};
