import { ADMISSION_SETTINGS, type AdmissionSettings } from './settings/admission.ts';
import { BACKEND_SETTINGS, type BackendSettings } from './settings/backend.ts';
import { CLUSTER_SETTINGS, type ClusterSettings } from './settings/cluster.ts';
import type { SettingOf } from './settings/define.ts';
import { LOGGING_SETTINGS, type LoggingSettings } from './settings/logging.ts';
import { MILVUS_SETTINGS, type MilvusSettings } from './settings/milvus.ts';
import { NGINX_SETTINGS, type NginxSettings } from './settings/nginx.ts';
import { SERVER_SETTINGS, type ServerSettings } from './settings/server.ts';

export { Expected, type SettingDef, type SettingOf } from './settings/define.ts';

/**
 * Every setting of the server, one table per area (./settings/*.ts): its environment variable (the
 * setting's name in upper case; a contract for scripts and docs), its key in
 * the optional JSON config file, its default, its parser and what it maps to.
 * README's configuration table is printed from this list (`npm run config:docs`).
 */
export type Config = ServerSettings &
  ClusterSettings &
  NginxSettings &
  BackendSettings &
  MilvusSettings &
  AdmissionSettings &
  LoggingSettings;

/** The areas, in the order docs/configuration.md lists them. */
export const SETTING_AREAS: readonly { area: string; settings: readonly SettingOf<Config>[] }[] = [
  {
    area: 'The HTTP server: address, timeouts, request and quota limits, who may call',
    settings: SERVER_SETTINGS,
  },
  {
    area: 'PM2 workers: count, recycling, watchdog, internal and worker ports, metrics',
    settings: CLUSTER_SETTINGS,
  },
  {
    area: 'nginx in front: listen addresses, rate and connection limits',
    settings: NGINX_SETTINGS,
  },
  {
    area: 'The search backend: the embedded index and its demo data, micro-batching',
    settings: BACKEND_SETTINGS,
  },
  {
    area: 'Milvus: which backend, address(es), balancing, the connection pool, start-up wait',
    settings: MILVUS_SETTINGS,
  },
  {
    area: 'Admission control: rate limit, event-loop guard, concurrency limit and queue, breaker',
    settings: ADMISSION_SETTINGS,
  },
  { area: 'Logs', settings: LOGGING_SETTINGS },
];

export const SETTINGS: readonly SettingOf<Config>[] = SETTING_AREAS.flatMap((a) => a.settings);
