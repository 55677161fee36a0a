import type { Config } from '../config/settings.ts';

/**
 * nginx in front of the PM2 workers, rendered from the same settings table as
 * the server so the numbers agree (body limit, deadlines, keep-alive).
 * `deploy/nginx/nginx.conf` is this function's output for the defaults
 * (`npm run nginx:conf`; a test keeps the two identical). Relative paths
 * (pid, logs, temp files) resolve under nginx's prefix: `nginx -p DIR -c FILE`.
 */
export type NginxSettings = Pick<
  Config,
  | 'port'
  | 'workerPort'
  | 'workers'
  | 'maxBodyBytes'
  | 'timeoutSeconds'
  | 'keepaliveSeconds'
  | 'nginxListen'
  | 'nginxStatusListen'
  | 'nginxWorkerConnections'
  | 'nginxRateLimit'
  | 'nginxRateBurst'
  | 'nginxGlobalRateLimit'
  | 'nginxGlobalRateBurst'
  | 'nginxConnLimit'
  | 'nginxInflightLimit'
  | 'nginxRealIpFrom'
  | 'nginxWorkerPriority'
>;

/**
 * Behind a load balancer (NGINX_REAL_IP_FROM): the client is the last address
 * in X-Forwarded-For that is not a trusted balancer, so per-client limits and
 * X-Real-IP name the client, and a client cannot forge it (only the trusted
 * balancers' entries are skipped).
 */
function realIp(from: string): string {
  if (!from) return '';
  const lines = from.split(',').map((cidr) => `        set_real_ip_from ${cidr};`);
  return `${lines.join('\n')}
        real_ip_header X-Forwarded-For;
        real_ip_recursive on;
`;
}

/** NGINX_INFLIGHT_LIMIT's auto value per worker: room for transients and ordinary clients. */
export const INFLIGHT_PER_WORKER = 128;

/**
 * NGINX_INFLIGHT_LIMIT as rendered. -1 (auto): 128 per worker. Requests in
 * flight are the rate times the latency, so a bound also turns a transient
 * into refusals: a worker SIGKILLed at 900 requests/s on 2 cores slowed the
 * survivor for 100-200 ms while PM2 restarted it, 64 in flight were refused
 * with 32 per worker and none with 128. A closed loop of 50 clients is served,
 * not refused. Under a flood the bound that keeps admitted latency near
 * unloaded is the knee (measured 2 for one worker searching on its event
 * loop, 10x flood: 86% of capacity served at 2x the unloaded p99); size it
 * with `npm run bench -- overload --via nginx --write-config FILE` where
 * floods are the risk (it writes the knee into the stack's settings file).
 */
export function resolveInflightLimit(s: NginxSettings): number {
  if (s.nginxInflightLimit >= 0) return s.nginxInflightLimit;
  return INFLIGHT_PER_WORKER * s.workers;
}

/** nginx's upstream keepalive_timeout: below the app's, or nginx reuses sockets Node closed (502). */
export function upstreamKeepaliveSeconds(appKeepaliveSeconds: number): number {
  return Math.max(1, Math.min(60, Math.floor(appKeepaliveSeconds) - 5));
}

function problem(status: number, title: string, detail: string): string {
  const body = JSON.stringify({ type: 'about:blank', title, status, detail });
  return `'${body.replaceAll("'", "\\'")}'`;
}

export function renderNginxConf(s: NginxSettings): string {
  const appDeadline = Math.ceil(s.timeoutSeconds);
  const inflight = resolveInflightLimit(s);
  const perClient = [
    s.nginxRateLimit > 0 ? `limit_req zone=per_client burst=${s.nginxRateBurst} nodelay;` : '',
    s.nginxConnLimit > 0 ? `limit_conn per_client_conn ${s.nginxConnLimit};` : '',
  ];
  const wholeHost = [
    inflight > 0 ? `limit_conn whole_host_inflight ${inflight};` : '',
    s.nginxGlobalRateLimit > 0
      ? `limit_req zone=whole_host burst=${s.nginxGlobalRateBurst} nodelay;`
      : '',
  ];
  const lines = (limits: string[]) =>
    limits
      .filter(Boolean)
      .map((l) => `            ${l}`)
      .join('\n');
  const limitLines = lines([...wholeHost, ...perClient]);
  const probeLimitLines = lines(perClient);
  const zones = [
    s.nginxRateLimit > 0
      ? `    limit_req_zone $binary_remote_addr zone=per_client:10m rate=${s.nginxRateLimit}r/s;`
      : '',
    s.nginxGlobalRateLimit > 0
      ? `    limit_req_zone $vecserve_whole_host zone=whole_host:64k rate=${s.nginxGlobalRateLimit}r/s;`
      : '',
    s.nginxConnLimit > 0 ? '    limit_conn_zone $binary_remote_addr zone=per_client_conn:10m;' : '',
    inflight > 0
      ? '    # Requests in flight on the whole host (for HTTP/1.1, a connection counts while a request is in progress).\n    limit_conn_zone $vecserve_whole_host zone=whole_host_inflight:64k;'
      : '',
  ]
    .filter(Boolean)
    .join('\n');
  const proxy = (extra: string) => `            proxy_pass http://vecserve_workers;
${extra}`;
  return `# nginx in front of the vecserve workers (PM2 cluster on 127.0.0.1:${s.port}${s.workerPort > 0 ? `; worker i also on 127.0.0.1:${s.workerPort}+i, rendered for ${s.workers} workers` : ''}).
# Generated from the settings table by \`npm run nginx:conf\` (src/stack/nginx-config.ts):
# edit the settings, not this file. Start: nginx -p <prefix dir> -c <this file>;
# relative paths below (pid, logs, temp files) live under the prefix.
worker_processes auto;
${s.nginxWorkerPriority !== 0 ? `worker_priority ${s.nginxWorkerPriority};\n` : ''}worker_rlimit_nofile ${Math.max(8192, s.nginxWorkerConnections * 2)};
pid nginx.pid;
error_log error.log warn;

events {
    # Each proxied request holds two connections (client and upstream).
    worker_connections ${s.nginxWorkerConnections};
}

http {
    default_type application/json;
    server_tokens off;
    # msec: when the request ended, to the millisecond (a worker's death is a sub-second story);
    # upstream_connect_time apart from upstream_time: a slow connect is not a slow worker.
    log_format json escape=json '{"time":"$time_iso8601","msec":$msec,"remote":"$remote_addr",'
        '"request":"$request","status":$status,"bytes":$body_bytes_sent,'
        '"request_time":$request_time,"upstream_time":"$upstream_response_time",'
        '"upstream_connect_time":"$upstream_connect_time",'
        '"upstream":"$upstream_addr","request_id":"$request_id"}';
    # A refusal nginx makes itself (no upstream) is logged one time in a hundred:
    # under a flood it is most requests, and a line for each cost 13% of what
    # a refusal costs (and a disk); every other request is logged.
    split_clients "$request_id" $vecserve_sampled { 1% 1; * 0; }
    map "$upstream_addr:$vecserve_sampled" $vecserve_logged { ":0" 0; default 1; }
    access_log access.log json buffer=64k flush=1s if=$vecserve_logged;

    client_body_temp_path client_body_temp;
    proxy_temp_path proxy_temp;
    fastcgi_temp_path fastcgi_temp;
    uwsgi_temp_path uwsgi_temp;
    scgi_temp_path scgi_temp;

    # Same body limit as the app (MAX_BODY_BYTES); larger bodies get a JSON 413 here.
    client_max_body_size ${s.maxBodyBytes};
    client_body_buffer_size ${Math.min(s.maxBodyBytes, 1024 * 1024)};
    client_header_timeout 10s;
    client_body_timeout 10s;
    send_timeout 10s;
    keepalive_timeout 65s;
    keepalive_requests 10000;

    # Admission at the front door, in shared memory (exact across nginx workers).
    # limit_req is a leaky bucket; without limit_req_status it would answer 503.
${zones}
    map "" $vecserve_whole_host { default all; }
    limit_req_status 429;
    # Past the host's in-flight limit the server is busy (503); a client over its own share is 429.
    limit_conn_status ${inflight > 0 ? 503 : 429};
    # Below error_log's level: a line per refused request, unbuffered, grew the
    # error log by 450 MB in one 10x flood. The sampled access log shows them.
    limit_req_log_level info;
    limit_conn_log_level info;

    upstream vecserve_workers {
${upstreamServers(s)}
        keepalive 128;
        # Below the app's KEEPALIVE (${s.keepaliveSeconds} s): nginx must close idle sockets first.
        keepalive_timeout ${upstreamKeepaliveSeconds(s.keepaliveSeconds)}s;
        keepalive_requests 10000;
    }

    # Errors nginx itself produces get problem+json bodies; the app's own
    # 4xx/5xx pass through untouched (proxy_intercept_errors is off).
    error_page 413 @too_large;
    error_page 429 @too_many_requests;
    error_page 502 @bad_gateway;
    error_page 503 @unavailable;
    error_page 504 @gateway_timeout;

    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    # The address nginx saw, replacing anything the client sent: the app decides
    # who is local (write/admin routes without API keys) from this, never from XFF.
    proxy_set_header X-Real-IP $remote_addr;
    proxy_set_header X-Request-Id $request_id;
    proxy_connect_timeout 2s;
    proxy_send_timeout 10s;
    # The app answers 504 itself at its deadline (TIMEOUT ${s.timeoutSeconds} s); wait a little longer for that answer.
    proxy_read_timeout ${appDeadline + 5}s;
    proxy_next_upstream error timeout;
    proxy_next_upstream_tries 2;

    server {
        listen ${s.nginxListen} backlog=4096;
${realIp(s.nginxRealIpFrom)}
        # Operations endpoints are on the loopback status listener only.
        location = /metrics {
            default_type application/problem+json;
            return 404 ${problem(404, 'Not Found', `/metrics is served on the status listener (${s.nginxStatusListen}) only`)};
        }
        location /internal/ {
            default_type application/problem+json;
            return 404 ${problem(404, 'Not Found', 'not served here')};
        }

        # Searches are reads: when a keep-alive socket to a worker that is
        # restarting breaks under a request, or a worker refuses it (503: retiring,
        # its search threads closing, its queue standing), resend it to another.
        location ~ ^/v1/collections/[^/]+/search(/batch)?$ {
${limitLines}
${proxy('            proxy_next_upstream error timeout http_503 non_idempotent;')}
        }

        # Probes: a host at its in-flight or host-wide rate limit is busy, not down. Were
        # /readyz refused there (503), a balancer's health check would take the host out
        # when it is most needed, its load would fill the next host's limit, and so on
        # until none is left ("no server available"). Per-client limits still apply.
        location ~ ^/(readyz|healthz)$ {
${probeLimitLines}
${proxy('')}
        }

        location / {
${limitLines}
${proxy('')}
        }

${namedErrorLocations()}
    }

    # Loopback-only status listener: metrics (summed over all workers), stats, probes.
    server {
        listen ${s.nginxStatusListen};
        allow 127.0.0.1;
        allow ::1;
        deny all;
        access_log off;

        location / {
            proxy_pass http://vecserve_workers;
        }

${namedErrorLocations()}
    }
}
`;
}

/**
 * Each worker's own port when WORKER_PORT is set: nginx balances (least
 * connections) and, when a worker dies, gets a refusal at once and resends
 * searches to another. Otherwise the port the PM2 primary shares, listed
 * twice so that a failed search still gets a second try on a new connection.
 */
function upstreamServers(s: NginxSettings): string {
  if (s.workerPort > 0) {
    const servers = Array.from(
      { length: s.workers },
      (_, i) => `        server 127.0.0.1:${s.workerPort + i} max_fails=0;`,
    );
    return [
      `        # Worker i binds 127.0.0.1:${s.workerPort}+i itself (WORKER_PORT).`,
      '        least_conn;',
      ...servers,
    ].join('\n');
  }
  return [
    '        # The PM2 primary shares this port between the workers.',
    `        server 127.0.0.1:${s.port} max_fails=0;`,
    `        server 127.0.0.1:${s.port} max_fails=0;`,
  ].join('\n');
}

function namedErrorLocations(): string {
  const loc = (name: string, status: number, title: string, detail: string, retry?: number) =>
    `        location @${name} {
            default_type application/problem+json;
${retry ? `            add_header Retry-After ${retry} always;\n` : ''}            return ${status} ${problem(status, title, detail)};
        }`;
  return [
    loc('too_large', 413, 'Payload Too Large', 'request body is larger than the server accepts'),
    loc(
      'too_many_requests',
      429,
      'Too Many Requests',
      'request rate or connection limit exceeded at the front door',
      1,
    ),
    loc('bad_gateway', 502, 'Bad Gateway', 'no API worker answered; it may be restarting', 1),
    loc(
      'unavailable',
      503,
      'Service Unavailable',
      'server busy: the requests the host serves at once are all taken (or a limit refused the connection); retry after a second',
      1,
    ),
    loc('gateway_timeout', 504, 'Gateway Timeout', 'the API worker did not answer in time'),
  ].join('\n');
}
