import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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

  it('a host at its in-flight limit refuses searches (503) but still answers /readyz and /healthz (real nginx)', async () => {
    // A balancer's health check that got the busy host's 503 would take the host out of
    // rotation, and its load would fill the next host's limit (CI saw every host out).
    const held: ServerResponse[] = [];
    const upstream = createServer((req, res) => {
      if (req.url === '/readyz' || req.url === '/healthz') {
        res.setHeader('content-type', 'application/json');
        res.end('{"status":"ready"}');
      } else held.push(res); // a search that takes its time: it holds a place until released
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const workerPort = (upstream.address() as AddressInfo).port;
    const port = 27_000 + Math.floor(Math.random() * 1000) * 2;
    const config = loadConfig({
      env: {},
      overrides: {
        workers: 1,
        workerPort,
        nginxListen: `127.0.0.1:${port}`,
        nginxStatusListen: `127.0.0.1:${port + 1}`,
        nginxInflightLimit: 2,
        nginxGlobalRateLimit: 0,
      },
    });
    const { dir, cleanup } = tempDir();
    writeFileSync(join(dir, 'nginx.conf'), renderNginxConf(config));
    const nginx = spawn(
      'nginx',
      ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'],
      {
        stdio: 'ignore',
      },
    );
    const base = `http://127.0.0.1:${port}`;
    const search = () =>
      fetch(`${base}/v1/collections/c/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"vector":[0]}',
      });
    try {
      for (let i = 0; ; i++) {
        const up = await fetch(`${base}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (up) break;
        if (i > 100) throw new Error('nginx did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
      const waiting = [search(), search()];
      while (held.length < 2) await new Promise((r) => setTimeout(r, 10));
      const third = await search();
      expect(third.status).toBe(503);
      expect(((await third.json()) as { detail: string }).detail).toMatch(/server busy/);
      for (const probe of ['/readyz', '/healthz']) {
        const res = await fetch(`${base}${probe}`);
        expect(res.status, probe).toBe(200);
        expect(await res.json()).toEqual({ status: 'ready' });
      }
      for (const res of held) res.end('{}');
      for (const res of await Promise.all(waiting)) expect(res.status).toBe(200);
    } finally {
      nginx.kill('SIGTERM'); // the nginx this test started
      await new Promise((r) => nginx.once('exit', r));
      upstream.close();
      cleanup();
    }
  });
});
