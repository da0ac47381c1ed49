import type { EventExport } from '../../ports/events.js';

/**
 * The Firehose export through a lazily imported adapter: the Firehose SDK is loaded on the first export,
 * so it costs the POST /events function's cold init nothing.
 */
export function lazyFirehoseExport(streamName: string, region: string): EventExport {
  let exporter: Promise<EventExport> | undefined;
  return {
    async export(events) {
      exporter ??= (async () => {
        const [{ FirehoseClient }, { FirehoseEventExport }] = await Promise.all([
          import('@aws-sdk/client-firehose'),
          import('./firehose-event-export.js'),
        ]);
        return new FirehoseEventExport(new FirehoseClient({ region }), streamName);
      })();
      return (await exporter).export(events);
    },
  };
}
