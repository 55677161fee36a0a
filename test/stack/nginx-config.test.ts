import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { renderNginxConf } from '../../src/stack/nginx-config.ts';
import { tempDir } from '../helpers.ts';

const SHIPPED = join(import.meta.dirname, '../../deploy/nginx/nginx.conf');

describe('nginx config', () => {
  it('the shipped deploy/nginx/nginx.conf is the rendering of the default settings for 2 workers', () => {
    // Rendered for 2 workers (the upstream lists one port per worker): WORKERS=2 npm run nginx:conf -- --out deploy/nginx/nginx.conf
    expect(readFileSync(SHIPPED, 'utf8')).toBe(
      renderNginxConf(loadConfig({ env: { WORKERS: '2' } })),
    );
  });

  it('passes `nginx -t` (nginx from the Debian package; .ci/run installs it)', () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = spawnSync('nginx', ['-t', '-p', `${dir}/`, '-c', SHIPPED], { encoding: 'utf8' });
      expect(out.error, 'nginx is not installed: apt-get install nginx').toBeUndefined();
      expect(out.stderr).toMatch(/test is successful/);
      expect(out.status).toBe(0);
    } finally {
      cleanup();
    }
  });

  it('follows the settings: limits off when 0, upstream keepalive below the app keepalive', () => {
    const config = loadConfig({
      env: {},
      overrides: {
        nginxRateLimit: 0,
        nginxConnLimit: 0,
        nginxGlobalRateLimit: 500,
        keepaliveSeconds: 30,
      },
    });
    const text = renderNginxConf(config);
    expect(text).not.toMatch(/zone=per_client\b/);
    expect(text).not.toMatch(/limit_conn per_client_conn/);
    expect(text).toMatch(/limit_req_zone \$vecserve_whole_host zone=whole_host:64k rate=500r\/s;/);
    expect(text).toMatch(/keepalive_timeout 25s;/);
    expect(text).toMatch(/proxy_read_timeout 15s;/);
  });

  it('renders worker_priority only when NGINX_WORKER_PRIORITY is set, and the result passes nginx -t', () => {
    expect(renderNginxConf(loadConfig({ env: {} }))).not.toMatch(/worker_priority/);
    const text = renderNginxConf(loadConfig({ env: { NGINX_WORKER_PRIORITY: '-5' } }));
    expect(text).toMatch(/^worker_priority -5;$/m);
    expect(() => loadConfig({ env: { NGINX_WORKER_PRIORITY: '-21' } })).toThrow(
      /NGINX_WORKER_PRIORITY/,
    );
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(join(dir, 'nginx.conf'), text);
      const out = spawnSync('nginx', ['-t', '-p', `${dir}/`, '-c', join(dir, 'nginx.conf')], {
        encoding: 'utf8',
      });
      expect(out.stderr).toMatch(/test is successful/);
    } finally {
      cleanup();
    }
  });

  it('behind a balancer (NGINX_REAL_IP_FROM) takes the client from X-Forwarded-For of trusted hops only, and passes nginx -t', () => {
    const text = renderNginxConf(
      loadConfig({ env: { NGINX_REAL_IP_FROM: '10.0.0.0/24,192.168.1.7' } }),
    );
    expect(text).toMatch(/set_real_ip_from 10\.0\.0\.0\/24;\n\s+set_real_ip_from 192\.168\.1\.7;/);
    expect(text).toMatch(/real_ip_header X-Forwarded-For;/);
    expect(text).toMatch(/real_ip_recursive on;/);
    expect(renderNginxConf(loadConfig({ env: {} }))).not.toMatch(/set_real_ip_from/);
    expect(() => loadConfig({ env: { NGINX_REAL_IP_FROM: 'evil; include /etc/passwd' } })).toThrow(
      /NGINX_REAL_IP_FROM/,
    );
    const { dir, cleanup } = tempDir();
    try {
      const conf = join(dir, 'nginx.conf');
      writeFileSync(conf, text);
      const out = spawnSync('nginx', ['-t', '-p', `${dir}/`, '-c', conf], { encoding: 'utf8' });
      expect(out.stderr).toMatch(/test is successful/);
    } finally {
      cleanup();
    }
  });
});
