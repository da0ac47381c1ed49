import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(`${ROOT}README.md`, 'utf8');
// code blocks hold sample output and shell lines, not links or headings
const prose = readme.replace(/```[\s\S]*?```/g, '');

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}

const headings = [...prose.matchAll(/^## (.+)$/gm)].map((m) => m[1] as string);
const contents = prose.slice(
  prose.indexOf('## Contents'),
  prose.indexOf('\n## ', prose.indexOf('## Contents') + 1),
);
const tocAnchors = [...contents.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1] as string);

describe('README', () => {
  it('lists every section in its table of contents', () => {
    const sections = headings.filter((h) => h !== 'Contents').map(slug);
    expect(tocAnchors).toEqual(sections);
  });

  it('shows the two commands of a fresh machine in the quick start', () => {
    const quick = prose.indexOf('## Quick start');
    const block = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## The CLI'));
    expect(quick).toBeGreaterThan(0);
    expect(block).toContain('npm ci && npm start');
    expect(block).toContain('npm test');
  });

  it('links only to files that exist in the repository', () => {
    const targets = [...prose.matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)]
      .map((m) => m[1] as string)
      .filter((t) => !/^[a-z]+:/i.test(t));
    const missing = targets.filter((t) => !existsSync(`${ROOT}${t}`));
    expect(missing).toEqual([]);
  });

  it('names only repository paths that exist', () => {
    const paths = [
      ...prose.matchAll(
        /`((?:shared|functions|bench|tests|statemachines)\/[\w./-]+\.(?:ts|mjs|cjs|json|md|yaml|svg))`/g,
      ),
    ].map((m) => m[1] as string);
    expect(paths.length).toBeGreaterThan(10);
    const missing = [...new Set(paths)].filter((p) => !existsSync(`${ROOT}${p}`));
    expect(missing).toEqual([]);
  });
});
