import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/stack/prerequisites.ts';

const ROOT = join(import.meta.dirname, '../..');

describe('npm run doctor', () => {
  it('names a missing nginx and the command that installs it, and exits 1', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/doctor.ts', '--for', 'stack'],
      {
        cwd: ROOT,
        env: { ...process.env, NGINX_BIN: '/nonexistent/nginx' },
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^MISSING\s+nginx: not found at NGINX_BIN=\/nonexistent\/nginx/m);
    expect(r.stdout).toContain(
      '1 missing for `npm run stack`. Install with:\n  apt-get install nginx',
    );
  });

  it('passes quietly for a workflow whose needs are met (the nginx the stack would run)', async () => {
    const report = await runDoctor('start', { ...process.env });
    expect(report.missing).toBe(0);
    // Only what is not ok is listed for a workflow: Node.js is, so it is not.
    expect(report.lines.join('\n')).not.toMatch(/^ok\s+Node\.js/m);
    const stack = await runDoctor('stack', { ...process.env });
    expect(stack.lines.filter((l) => l.startsWith('MISSING'))).toEqual([]);
  });

  it('lists every check with what needs it when asked for no workflow', async () => {
    const report = await runDoctor(undefined, { ...process.env, NGINX_BIN: '/nonexistent/nginx' });
    for (const name of ['Node.js', 'nginx', 'Chromium', 'Prometheus', 'python3'])
      expect(report.lines.some((l) => l.includes(name))).toBe(true);
    expect(report.fixes).toContain(
      'apt-get install nginx (Debian/Ubuntu), or set NGINX_BIN to its path',
    );
  });
});
