// What the plain-JS worker entries (fm-worker.mjs, session-knn/evaluation-worker.mjs) share: the signal the
// blocked calling thread waits on, and loading their job module (compiled .js, or the .ts source through
// tsx when running from TypeScript sources: loader hooks do not reach workers).

/** Counts an event in signal[0] and wakes the waiting thread; a worker's exit also counts in signal[1]. */
export function signalling(signal) {
  const bump = () => {
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  };
  process.on('exit', () => {
    Atomics.add(signal, 1, 1);
    bump();
  });
  return bump;
}

/** The job module `name` beside `base` (an entry's import.meta.url): `{ job }`, or `{ error }` when neither form loads. */
export async function loadJob(name, base) {
  try {
    return { job: await import(new URL(`./${name}.js`, base).href) };
  } catch {
    try {
      const { tsImport } = await import('tsx/esm/api');
      return { job: await tsImport(`./${name}.ts`, base) };
    } catch (err) {
      return { error: String(err) };
    }
  }
}
