// PM2 process file: cluster mode, one worker per CPU (Gunicorn's workers = cpu_count()).
// Issue 5 completes the worker lifecycle (max_requests, watchdog, metrics across workers).
const os = require('node:os');

const workers = Number(process.env.WORKERS) || os.availableParallelism();
const gracefulMs = (Number(process.env.GRACEFUL_TIMEOUT) || 10) * 1000;

module.exports = {
  apps: [
    {
      name: 'vecserve',
      script: 'src/server/main.ts',
      interpreter: 'node',
      node_args: '--import tsx',
      exec_mode: 'cluster',
      instances: workers,
      // A worker is routed to only after it has sent 'ready' (backend warm).
      wait_ready: true,
      listen_timeout: 120_000,
      // PM2 must wait longer than the server's own graceful drain.
      kill_timeout: gracefulMs + 5000,
      max_memory_restart: '2G',
      exp_backoff_restart_delay: 200,
      // INDEX_MODE=auto: several workers map one embedded index read-only.
      env: { WORKERS: String(workers) },
    },
  ],
};
