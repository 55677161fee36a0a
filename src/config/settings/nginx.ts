import { integer, type SettingOf, settingsOf, text } from './define.ts';

/** nginx in front: listen addresses, rate and connection limits. */
export interface NginxSettings {
  nginxListen: string;
  nginxStatusListen: string;
  nginxWorkerConnections: number;
  nginxRateLimit: number;
  nginxRateBurst: number;
  nginxGlobalRateLimit: number;
  nginxGlobalRateBurst: number;
  nginxConnLimit: number;
  nginxInflightLimit: number;
  nginxRealIpFrom: string;
  nginxWorkerPriority: number;
}

const def = settingsOf<NginxSettings>();

export const NGINX_SETTINGS: readonly SettingOf<NginxSettings>[] = [
  def(
    'nginxListen',
    'nginx_listen',
    () => '127.0.0.1:8080',
    text(/^[\w.:[\]-]+:\d{1,5}$/, 'host:port'),
    'nginx public listener (stack scripts).',
  ),
  def(
    'nginxStatusListen',
    'nginx_status_listen',
    () => '127.0.0.1:8081',
    text(/^(127\.\d+\.\d+\.\d+|\[::1\]|localhost):\d{1,5}$/, 'a loopback host:port'),
    'nginx loopback-only listener serving /metrics, /v1/stats and probes.',
  ),
  def(
    'nginxWorkerConnections',
    'nginx_worker_connections',
    () => 4096,
    integer(64, 1_000_000),
    'nginx worker_connections (each proxied request holds two).',
  ),
  def(
    'nginxRateLimit',
    'nginx_rate_limit',
    () => 1000,
    integer(0, 1e9),
    'nginx limit_req per client IP, requests/s (0: off); excess answered 429.',
  ),
  def(
    'nginxRateBurst',
    'nginx_rate_burst',
    () => 200,
    integer(0, 1e9),
    'nginx limit_req burst per client (served without delay, nodelay).',
  ),
  def(
    'nginxGlobalRateLimit',
    'nginx_global_rate_limit',
    () => 0,
    integer(0, 1e9),
    'nginx limit_req for the whole host, requests/s (0: off): sheds above measured capacity before Node parses a byte. /readyz and /healthz are not counted.',
  ),
  def(
    'nginxGlobalRateBurst',
    'nginx_global_rate_burst',
    () => 50,
    integer(0, 1e9),
    'Burst of the host-wide nginx limit.',
  ),
  def(
    'nginxConnLimit',
    'nginx_conn_limit',
    () => 256,
    integer(0, 1e9),
    'nginx limit_conn: open connections per client IP (0: off); excess answered 429 (503 when NGINX_INFLIGHT_LIMIT is on: nginx has one status for its connection limits).',
  ),
  def(
    'nginxInflightLimit',
    'nginx_inflight_limit',
    () => -1,
    integer(-1, 1e9),
    "Requests the whole host serves at once, counted by nginx (limit_conn on one host-wide key): the excess is answered 503 with Retry-After in C, before a worker reads a byte. A concurrency bound follows capacity by itself (in flight = throughput x latency), where a rate limit must be set to a capacity nobody re-measures. -1: 128 per worker (room for a worker's restart and ordinary clients; under floods the bound that keeps admitted latency near unloaded is the knee, which `npm run bench -- overload` measures); 0: off. /readyz and /healthz are not counted (a busy host is not a dead one: a balancer's health check refused here would take the host out).",
  ),
  def(
    'nginxRealIpFrom',
    'nginx_real_ip_from',
    () => '',
    text(/^([0-9a-fA-F.:/]+(,[0-9a-fA-F.:/]+)*)?$/, 'comma-separated addresses or CIDRs'),
    "Load balancers in front of this host's nginx whose X-Forwarded-For is believed (set_real_ip_from), comma-separated, e.g. 10.0.0.0/24; empty: none. Behind a balancer, without it every client is the balancer's address to nginx's per-client limits and to RATE_LIMIT_KEY=ip.",
  ),
  def(
    'nginxWorkerPriority',
    'nginx_worker_priority',
    () => 0,
    integer(-20, 19),
    "nginx workers' nice value (worker_priority), e.g. -5 to keep nginx's refusals and proxying ahead of busy Node workers on the same cores; below 0 needs nginx started as root (otherwise nginx logs that setpriority failed and runs at 0). 0: the same priority.",
  ),
];
