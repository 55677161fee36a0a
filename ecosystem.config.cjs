// PM2 process file: cluster mode, one worker per CPU (Gunicorn's workers = cpu_count()).
// Every number comes from the server's settings table (env / CONFIG_FILE), so
// PM2, the server and nginx agree. Used by `npm run stack:up`, or directly:
//   npx pm2 start ecosystem.config.cjs
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const root = __dirname;
// Workers run the compiled server (dist/): build it first (a tenth of a second;
// without devDependencies it runs the dist/ already there).
execFileSync(process.execPath, ['deploy/tools/build.mjs'], { cwd: root, stdio: 'inherit' });
let settings;
let settingsEnv;
try {
  ({ config: settings, env: settingsEnv } = JSON.parse(
    execFileSync(process.execPath, ['dist/cli/print-settings.js'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  ));
} catch {
  throw new Error('vecserve: invalid settings (see the message above)');
}
const logDir = path.resolve(root, settings.dataDir, 'stack', 'logs');

module.exports = {
  apps: [
    {
      name: 'vecserve',
      cwd: root,
      // The compiled server: no TypeScript loader in the workers.
      script: 'dist/cli/serve.js',
      exec_mode: 'cluster',
      instances: settings.workers,
      // Route to a new worker only after it sent 'ready' (backend warm:
      // index mapped, or Milvus pool validated); a cold index build may be slow.
      wait_ready: true,
      listen_timeout: 300_000,
      // SIGINT starts the drain; PM2 must wait longer than the drain may take.
      kill_timeout: (settings.gracefulTimeoutSeconds + 5) * 1000,
      max_memory_restart: `${settings.maxMemoryMb}M`,
      // Crash loops back off (100 ms doubling up to 15 s) instead of spinning.
      exp_backoff_restart_delay: 100,
      min_uptime: 5000,
      max_restarts: 50,
      out_file: path.join(logDir, 'vecserve-out.log'),
      error_file: path.join(logDir, 'vecserve-error.log'),
      merge_logs: true,
      // Every setting, resolved and validated above; WORKERS also tells each
      // worker to divide per-process budgets (rate limits) by the worker count.
      // nginx is in front and sets X-Real-IP: trust it (the app honours it from loopback peers only).
      env: { ...settingsEnv, TRUST_PROXY: 'true' },
    },
  ],
};
