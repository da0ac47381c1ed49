import { api } from '../api.js';
import { el, errorBox, table } from '../dom.js';
import type { ModelsOverview, Run } from '../types.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const duration = (r: Run) =>
  r.stoppedAt ? seconds(Date.parse(r.stoppedAt) - Date.parse(r.startedAt)) : 'running';

function runsTable(runs: Run[]): HTMLElement {
  return table(
    'Pipeline runs (newest first)',
    ['run', 'machine', 'state', 'started', 'duration', 'failing state', 'error'],
    runs.map((r) => [
      r.runId,
      r.machine,
      el('span', { class: r.status === 'SUCCEEDED' ? 'ok' : r.status === 'RUNNING' ? '' : 'bad' }, r.status),
      r.startedAt.replace('T', ' ').slice(0, 19),
      duration(r),
      r.failedState ?? '',
      [r.error, r.cause].filter(Boolean).join(': '),
    ]),
    [4],
  );
}

async function lastRunDetails(
  runs: Run[],
  machine: Run['machine'],
  label: string,
): Promise<HTMLElement | null> {
  const last = runs.find((r) => r.machine === machine);
  if (!last) return el('p', { class: 'note' }, `No ${label} run yet.`);
  const run = await api<Run>(`/admin/pipeline/runs/${encodeURIComponent(last.runId)}`);
  return el(
    'div',
    {},
    el('h2', {}, `Last ${label} run: ${run.status}`),
    run.failedState
      ? el(
          'p',
          { class: 'error' },
          `Failed in ${run.failedState}: ${[run.error, run.cause].filter(Boolean).join(': ')}`,
        )
      : null,
    table(
      `Time per state of ${run.runId}`,
      ['state', 'time', 'entries', 'failures'],
      (run.states ?? []).map((s) => [s.name, seconds(s.ms), s.count, s.failures]),
      [1, 2, 3],
    ),
  );
}

/** Overview: published versions, the last runs with time per state, and a button to start a run. */
export async function overviewPage(root: HTMLElement): Promise<void> {
  const [models, { runs }] = await Promise.all([
    api<ModelsOverview>('/admin/models'),
    api<{ runs: Run[] }>('/admin/pipeline/runs?limit=20'),
  ]);
  root.append(
    el('h2', {}, 'Published versions'),
    table(
      'Active version per algorithm',
      ['algorithm', 'version', 'published'],
      models.algorithms.map((a) => [
        a.algorithm,
        a.active?.version ?? 'none',
        a.active?.publishedAt.replace('T', ' ').slice(0, 19) ?? '',
      ]),
    ),
  );
  const status = el('p', { role: 'status', class: 'note' });
  const machine = el(
    'select',
    { id: 'run-machine' },
    el('option', { value: 'scoring' }, 'nightly scoring'),
    el('option', { value: 'personalize' }, 'Personalize retraining'),
  );
  const runsBox = el('div', {}, runsTable(runs));
  const details = el('div');
  const refresh = async () => {
    const latest = (await api<{ runs: Run[] }>('/admin/pipeline/runs?limit=20')).runs;
    runsBox.replaceChildren(runsTable(latest));
    details.replaceChildren(
      ...((
        await Promise.all([
          lastRunDetails(latest, 'scoring', 'nightly scoring'),
          lastRunDetails(latest, 'personalize', 'Personalize retraining'),
        ])
      ).filter(Boolean) as HTMLElement[]),
    );
    return latest;
  };
  const form = el(
    'form',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        status.textContent = 'Starting…';
        try {
          const started = await api<{ runId: string }>('/admin/pipeline/runs', {
            method: 'POST',
            body: { machine: machine.value, requestId: `console-${Date.now()}` },
          });
          status.textContent = `Started run ${started.runId}.`;
          // follow the run until it stops (a local run computes in the server's process)
          for (let i = 0; i < 300; i++) {
            const latest = await refresh();
            if (!latest.some((r) => r.runId === started.runId && r.status === 'RUNNING')) break;
            await new Promise((r) => setTimeout(r, 2000));
          }
        } catch (err) {
          status.replaceChildren(errorBox(err));
        }
      },
    },
    el('label', { for: 'run-machine' }, 'State machine', machine),
    el('button', { type: 'submit' }, 'Start a run'),
  );
  root.append(el('h2', {}, 'Runs'), form, status, runsBox, details);
  await refresh();
}
