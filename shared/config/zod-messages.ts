import * as z from 'zod/mini';

type Issue = Parameters<NonNullable<z.core.$ZodConfig['localeError']>>[0];

/**
 * Short English messages for zod/mini issues, in place of zod's full locale (2.7 KB of the request
 * Lambda's 100 KB budget): configuration and experiment errors only need to say what is wrong with a
 * named variable.
 */
export function issueMessage(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `expected ${issue.expected}`;
    case 'too_small':
      return `must be ${issue.inclusive === false ? 'greater than' : 'at least'} ${String(issue.minimum)}${unit(issue.origin)}`;
    case 'too_big':
      return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}${unit(issue.origin)}`;
    case 'invalid_format':
      return issue.format === 'starts_with'
        ? `must start with "${(issue as { prefix?: string }).prefix ?? ''}"`
        : `must be a valid ${issue.format}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `invalid (${issue.code})`;
  }
}

const unit = (origin: string) => (origin === 'string' ? ' characters' : origin === 'array' ? ' items' : '');

z.config({ localeError: issueMessage });
