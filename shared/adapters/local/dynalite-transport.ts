import type { MessagePort } from 'node:worker_threads';
import type { HttpHandlerOptions, HttpRequest, HttpResponse, RequestHandler } from '@smithy/types';

/** The SDK request handler the port transport gives a DynamoDB client. */
export type PortRequestHandler = RequestHandler<HttpRequest, HttpResponse, HttpHandlerOptions>;

/** One DynamoDB HTTP request as the dynalite worker receives it over its port. */
export interface PortRequest {
  readonly id: number;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string | Uint8Array;
}

/** dynalite's answer to a {@link PortRequest}. */
export interface PortResponse {
  readonly id: number;
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

// on globalThis, so that handler modules loaded from another copy of this file (dist/ vs the sources)
// still find the worker the local stack started
const REGISTRY = Symbol.for('osusume.local-dynalite-ports');
type Registry = Map<string, WorkerDynamoTransport>;
const registry = (): Registry => {
  const g = globalThis as { [REGISTRY]?: Registry };
  g[REGISTRY] ??= new Map();
  return g[REGISTRY];
};

/**
 * The SDK's request handler for the embedded DynamoDB on its worker thread: each request goes to dynalite's
 * own HTTP request handler over a MessagePort instead of a loopback TCP connection. The SDK client, its
 * serialisation and dynalite's validation and storage are unchanged; only the socket, the HTTP framing on
 * both sides and their syscalls are saved (they were a third of the local server's CPU per call,
 * bench/results/session-http.md). Deadlines behave as the node:http handler's: a request unanswered after
 * `requestTimeoutMs` fails with a TimeoutError.
 */
export class WorkerDynamoTransport {
  private next = 1;
  private readonly pending = new Map<number, (r: PortResponse | Error) => void>();
  private closed = false;

  constructor(private readonly port: MessagePort) {
    port.on('message', (r: PortResponse) => this.pending.get(r.id)?.(r));
    // nothing pending: the port must not keep the process alive (each request's deadline timer does)
    port.unref();
  }

  /** A request handler for one client (its own deadline). */
  handler(requestTimeoutMs: number): PortRequestHandler {
    return {
      metadata: { handlerProtocol: 'http/1.1' },
      handle: (request, options) => this.send(request, requestTimeoutMs, options?.abortSignal),
    };
  }

  private send(
    request: HttpRequest,
    timeoutMs: number,
    abortSignal?: HttpHandlerOptions['abortSignal'],
  ): Promise<{ response: HttpResponse }> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(dynamoGone());
      if (abortSignal?.aborted) return reject(abortError());
      const id = this.next++;
      const finish = (r: PortResponse | Error) => {
        this.pending.delete(id);
        clearTimeout(timer);
        if (abortSignal && 'removeEventListener' in abortSignal)
          abortSignal.removeEventListener('abort', onAbort);
        if (r instanceof Error) return reject(r);
        resolve({
          response: { statusCode: r.statusCode, headers: r.headers, body: Buffer.from(r.body, 'utf8') },
        });
      };
      const onAbort = () => finish(abortError());
      const timer = setTimeout(
        () =>
          finish(
            Object.assign(new Error(`the embedded DynamoDB did not answer within ${timeoutMs} ms`), {
              name: 'TimeoutError',
              code: 'ETIMEDOUT',
            }),
          ),
        timeoutMs,
      );
      if (abortSignal && 'addEventListener' in abortSignal)
        abortSignal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, finish);
      const query = request.query
        ? new URLSearchParams(request.query as Record<string, string>).toString()
        : '';
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = v;
      const message: PortRequest = {
        id,
        method: request.method,
        url: query ? `${request.path}?${query}` : request.path,
        headers,
        body: typeof request.body === 'string' || request.body instanceof Uint8Array ? request.body : '',
      };
      this.port.postMessage(message);
    });
  }

  /** Fails what is pending (the worker stopped); later requests fail at once. */
  close(): void {
    this.closed = true;
    for (const finish of [...this.pending.values()]) finish(dynamoGone());
    this.port.close();
  }
}

// as a refused connection reads from node:http (a retryable transient error to the SDK)
const dynamoGone = () =>
  Object.assign(new Error('the embedded DynamoDB has stopped'), { code: 'ECONNREFUSED' });
const abortError = () => Object.assign(new Error('Request aborted'), { name: 'AbortError' });

/** Makes `endpoint`'s requests from this process go over `transport` (the local stack's worker). */
export function registerWorkerDynamo(endpoint: string, transport: WorkerDynamoTransport): void {
  registry().set(endpoint, transport);
}

/** Undoes {@link registerWorkerDynamo} and fails the transport's pending requests. */
export function unregisterWorkerDynamo(endpoint: string): void {
  registry().get(endpoint)?.close();
  registry().delete(endpoint);
}

/**
 * The port request handler for `endpoint` when it is the embedded DynamoDB that this process runs on a
 * worker thread; undefined otherwise (another process's dynalite, DynamoDB Local, AWS): TCP as usual.
 */
export function workerDynamoHandler(
  endpoint: string | undefined,
  requestTimeoutMs: number,
): PortRequestHandler | undefined {
  return endpoint === undefined ? undefined : registry().get(endpoint)?.handler(requestTimeoutMs);
}
