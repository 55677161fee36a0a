import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDirs } from '../../src/core/make-dirs.ts';
import { tempDir } from '../helpers.ts';

describe('makeDirs (mkdir -p)', () => {
  const work = tempDir('vecserve-make-dirs-');
  afterAll(() => work.cleanup());

  it('creates every missing level, and is a no-op on a directory that exists', () => {
    const deep = join(work.dir, 'a', 'b', 'c');
    makeDirs(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    makeDirs(deep);
    mkdirSync(join(deep, 'd')); // the created directories are ordinary, writable ones
    expect(statSync(join(deep, 'd')).isDirectory()).toBe(true);
  });

  it('names the file that stands where a directory should', () => {
    writeFileSync(join(work.dir, 'plain'), 'x');
    expect(() => makeDirs(join(work.dir, 'plain', 'x', 'y'))).toThrow(
      expect.objectContaining({
        code: 'ENOTDIR',
        message: expect.stringMatching(/plain is a file/),
      }),
    );
  });

  it("fails at once with the kernel's error where Node's recursive mkdir spins forever (/proc)", () => {
    const started = performance.now();
    expect(() => makeDirs('/proc/vecserve-not-a-place/data')).toThrow(
      expect.objectContaining({ code: 'ENOENT', path: '/proc/vecserve-not-a-place' }),
    );
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
