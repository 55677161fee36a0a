import { createRequire } from 'node:module';

/**
 * Every MilvusClient the SDK (3.x) constructs builds its gRPC service classes
 * from the bundled proto JSON (`getGRPCService`: proto-loader's `fromJSON` and
 * grpc-js's `loadPackageDefinition`, twice) and two protobufjs Roots for its
 * own encoding (`Root.fromJSON` of milvus.base and schema.base): 70 ms of
 * synchronous CPU per client, measured on this machine. The pool creates a
 * client whenever it grows or replaces a broken one, so during a Milvus outage
 * (a replacement per health probe) the event loop stalled 70 ms a second, and
 * a load spike that grew the pool stalled every request in flight.
 *
 * The classes depend only on the service name and the loader options, and the
 * Roots only on the bundled JSON, so each is built once and shared (the SDK
 * only looks types up in the Roots): each client still gets its own channel
 * and stubs (a service class is a constructor, not a connection). Measured:
 * 70 ms -> 0.9 ms per client.
 */
const SERVICE_CACHE = new Map<string, unknown>();
let installed = false;

export function shareSdkServiceClasses(): void {
  if (installed) return;
  installed = true;
  const require = createRequire(import.meta.url);
  let grpcUtils: {
    getGRPCService?: (proto: { serviceName: string }, options?: unknown) => unknown;
  };
  try {
    grpcUtils = require('@zilliz/milvus2-sdk-node/dist/milvus/utils/Grpc.js');
  } catch {
    return; // an SDK laid out differently: clients cost their full construction
  }
  shareRoots(require);
  const build = grpcUtils.getGRPCService;
  if (typeof build !== 'function') return;
  grpcUtils.getGRPCService = (proto, options) => {
    const key = `${proto.serviceName}\u0000${JSON.stringify(options ?? null)}`;
    let service = SERVICE_CACHE.get(key);
    if (!service) {
      service = build(proto, options);
      SERVICE_CACHE.set(key, service);
    }
    return service;
  };
}

/** Root.fromJSON of the SDK's two bundled descriptors returns one shared Root each. */
function shareRoots(require: NodeJS.Require): void {
  let Root: { fromJSON: (json: unknown, root?: unknown) => unknown };
  let bundled: unknown[];
  try {
    const sdkRequire = createRequire(
      require.resolve('@zilliz/milvus2-sdk-node/dist/milvus/grpc/BaseClient.js'),
    );
    Root = (sdkRequire('protobufjs') as { Root: typeof Root }).Root;
    bundled = ['../proto-json/milvus.base', '../proto-json/schema.base'].map((m) => {
      const mod = sdkRequire(m) as { default?: unknown };
      return mod.default ?? mod;
    });
  } catch {
    return;
  }
  const build = Root.fromJSON.bind(Root);
  const roots = new Map<unknown, unknown>();
  Root.fromJSON = (json, root) => {
    if (root !== undefined || !bundled.includes(json)) return build(json, root);
    let shared = roots.get(json);
    if (!shared) {
      shared = build(json);
      roots.set(json, shared);
    }
    return shared;
  };
}
