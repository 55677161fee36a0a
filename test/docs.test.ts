import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const documents = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Relative link targets of a Markdown file, outside code blocks and spans. */
function links(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8')
    .replace(/```[\s\S]*?```/g, '')
    .replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((t) => !/^(https?:|mailto:|#)/.test(t));
}

describe('documentation', () => {
  it('the README starts with the two commands a newcomer runs, and stays short', () => {
    const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const commands = text
      .match(/```sh\n([\s\S]*?)```/)![1]!
      .trim()
      .split('\n');
    expect(commands).toEqual(['npm install && npm start', 'npm test']);
    expect(text.split('\n').length).toBeLessThan(200);
  });

  it.each(documents)('every relative link in %s resolves to a file', (file) => {
    const broken = links(file).filter(
      (target) => !existsSync(resolve(dirname(join(ROOT, file)), target.split('#')[0]!)),
    );
    expect(broken).toEqual([]);
  });
});
