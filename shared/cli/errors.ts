import { DomainError } from '../domain/errors.js';

/** What the CLI prints for an error that reached its top level, and the exit code. */
export interface CliFailure {
  readonly message: string;
  readonly exitCode: number;
}

const NO_CREDENTIALS =
  'no AWS credentials found: configure them (aws configure, AWS_PROFILE, or AWS_ACCESS_KEY_ID and ' +
  'AWS_SECRET_ACCESS_KEY), or work against the local stack instead (--api URL or --db-endpoint URL)';

/** The first line of a message: multi-line SDK and Node messages would break the one-line rule. */
const firstLine = (s: string) => s.split('\n', 1)[0].trim();

/** A specific one-line message for errors whose fix we know (credentials, nothing listening, port taken). */
function knownCause(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as Error & { code?: string; cause?: unknown };
  if (e.name === 'CredentialsProviderError' || /could not load credentials/i.test(e.message))
    return NO_CREDENTIALS;
  if (e.name === 'ExpiredTokenException' || e.name === 'ExpiredToken')
    return 'the AWS credentials have expired: refresh them (e.g. aws sso login)';
  const code = e.code ?? (e.cause as { code?: string } | undefined)?.code;
  if (code === 'ECONNREFUSED')
    return `${firstLine(e.message)}: nothing listens there; is the server running (check the URL)?`;
  if (code === 'EADDRINUSE') return `${firstLine(e.message)}: stop the other process or pick another port`;
  return undefined;
}

/**
 * Turns any error into one line that says what went wrong and, where we know it, what to do. This is the single
 * place the CLI maps errors: typed domain errors carry their own message (or, when they wrap a cause we know,
 * that cause's hint); configuration, AWS SDK and Node system errors get a hint; anything else is still one line
 * (OSUSUME_DEBUG=1 adds the stack).
 */
export function describeCliError(err: unknown): CliFailure {
  if (err instanceof DomainError) {
    const hint = knownCause((err as { cause?: unknown }).cause);
    return { message: hint ?? firstLine(err.message), exitCode: 2 };
  }
  // by name: importing config.ts (and zod) here would slow every CLI start, `--help` included
  if (err instanceof Error && err.constructor.name === 'ConfigError')
    return { message: `${firstLine(err.message)} (see "Configuration" in README.md)`, exitCode: 2 };
  if (!(err instanceof Error)) return { message: String(err), exitCode: 1 };
  const hint = knownCause(err);
  if (hint) return { message: hint, exitCode: 2 };
  const e = err as Error & { code?: string; $metadata?: unknown };
  if (e.$metadata !== undefined) return { message: `AWS ${e.name}: ${firstLine(e.message)}`, exitCode: 1 };
  if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR' || e.code === 'ENOTDIR')
    return { message: firstLine(e.message), exitCode: 2 };
  return {
    message: `${e.name === 'Error' ? '' : `${e.name}: `}${firstLine(e.message)} (OSUSUME_DEBUG=1 prints the stack)`,
    exitCode: 1,
  };
}

/** Prints the one-line message (and the stack with OSUSUME_DEBUG=1) and exits. */
export function failCli(err: unknown): never {
  const { message, exitCode } = describeCliError(err);
  console.error(`osusume: ${message}`);
  if (process.env.OSUSUME_DEBUG && err instanceof Error) console.error(err.stack);
  process.exit(exitCode);
}
