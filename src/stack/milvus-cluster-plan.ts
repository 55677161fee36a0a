/**
 * How big a Milvus cluster a collection needs, and the Helm values that
 * deploy it (the Milvus chart 5.0.19, zilliztech/milvus-helm). Query nodes
 * are sized by the larger of two needs: memory (every replica of every
 * segment resident) and CPU (the peak's searches at a planned utilisation).
 * The per-row memory and the searches per core are measured figures, given
 * with where they were measured; nothing here is a vendor's rule of thumb.
 */
export interface MilvusClusterPlanInput {
  rows: number;
  dimension: number;
  indexType: 'HNSW' | 'IVF_SQ8' | 'IVF_PQ' | 'DISKANN' | 'IVF_FLAT' | 'FLAT';
  /** Build and search parameters, as vecserve stores them (for the record in the values). */
  indexParams: Record<string, number>;
  /** Resident bytes per row with the collection loaded (server RSS / rows, measured). */
  residentBytesPerRow: number;
  /** Where residentBytesPerRow and searchesPerCore were measured. */
  measuredIn: string;
  /** Searches per second one core of a query node serves at the chosen recall. */
  searchesPerCore: number;
  /** In-memory replicas (a search survives the loss of replicas - 1 query nodes). */
  replicas: number;
  peakQps: number;
  node: { cores: number; memoryGiB: number };
  /** Share of a node's memory segments may fill (the rest: Milvus, growing segments, the OS). */
  memoryShare?: number;
  /** Share of the query nodes' CPU the peak may use. */
  utilisation?: number;
}

export interface MilvusClusterPlan {
  queryNodes: number;
  queryNodesForMemory: number;
  queryNodesForCpu: number;
  proxies: number;
  segmentMemoryGiB: number;
  limitedBy: 'memory' | 'cpu' | 'replicas';
  notes: string[];
}

const GiB = 2 ** 30;

export function planMilvusCluster(i: MilvusClusterPlanInput): MilvusClusterPlan {
  const memoryShare = i.memoryShare ?? 0.75;
  const utilisation = i.utilisation ?? 0.7;
  const segmentBytes = i.rows * i.residentBytesPerRow * i.replicas;
  const usablePerNode = i.node.memoryGiB * GiB * memoryShare;
  const forMemory = Math.ceil(segmentBytes / usablePerNode);
  const forCpu = Math.ceil(i.peakQps / (i.searchesPerCore * i.node.cores * utilisation));
  const queryNodes = Math.max(forMemory, forCpu, i.replicas);
  const limitedBy =
    queryNodes === forMemory ? 'memory' : queryNodes === forCpu ? 'cpu' : 'replicas';
  return {
    queryNodes,
    queryNodesForMemory: forMemory,
    queryNodesForCpu: forCpu,
    // Two at least, so losing one leaves the other (vecserve balances over them).
    proxies: Math.max(2, Math.ceil(i.peakQps / 5000)),
    segmentMemoryGiB: Math.round((segmentBytes / GiB) * 10) / 10,
    limitedBy,
    notes: [
      `${i.rows.toLocaleString('en')} x ${i.dimension} ${i.indexType}, ${i.replicas} replicas: ${Math.round(segmentBytes / GiB)} GiB of segments at ${i.residentBytesPerRow} B/row (${i.measuredIn})`,
      `memory: ${forMemory} query nodes at ${Math.round(memoryShare * 100)}% of ${i.node.memoryGiB} GiB; CPU: ${forCpu} at ${i.searchesPerCore} searches/s per core and ${Math.round(utilisation * 100)}% of ${i.node.cores} cores`,
    ],
  };
}

/** A component's requests and limits, as the chart's `resources` map takes them. */
function resources(cpu: string, memory: string, cpuLimit: string, memoryLimit: string): string {
  return `  resources:
    requests:
      cpu: "${cpu}"
      memory: ${memory}
    limits:
      cpu: "${cpuLimit}"
      memory: ${memoryLimit}`;
}

/** The Helm values for the plan (chart 5.0.19): what `npm run milvus:helm-values` writes. */
export function renderHelmValues(i: MilvusClusterPlanInput, p: MilvusClusterPlan): string {
  const nodeMemory = `${i.node.memoryGiB - 2}Gi`;
  return `# Milvus Helm chart 5.0.19 (Milvus 2.6.15) values for the scenario below, rendered by
# \`npm run milvus:helm-values\` from src/stack/milvus-cluster-plan.ts; a test keeps this file equal to
# the rendering and checks every key against the chart's own (milvus-chart-5.0.19.keys.tsv).
#   helm repo add milvus https://zilliztech.github.io/milvus-helm/
#   helm install vecserve-milvus milvus/milvus --version 5.0.19 -f values-50m.yaml
#
${p.notes.map((n) => `# ${n}`).join('\n')}
# query nodes: ${p.queryNodes}, limited by ${p.limitedBy}; index ${i.indexType} ${JSON.stringify(i.indexParams)}
# vecserve: MILVUS_ADDRESS=<proxy service>:19530 (or each proxy pod), MILVUS_REPLICAS=${i.replicas},
# MILVUS_CONSISTENCY=eventually (searches do not wait on the time tick: docs/operations.md).
cluster:
  enabled: true
streaming:
  enabled: true
mixCoordinator:
  enabled: true
  replicas: 1
${resources('2', '4Gi', '4', '8Gi')}
proxy:
  enabled: true
  replicas: ${p.proxies}
${resources('4', '4Gi', '8', '8Gi')}
queryNode:
  enabled: true
  replicas: ${p.queryNodes}
${resources(String(i.node.cores - 2), nodeMemory, String(i.node.cores), nodeMemory)}
dataNode:
  enabled: true
  replicas: 2
${resources('4', '8Gi', '8', '16Gi')}
streamingNode:
  replicas: 2
${resources('2', '4Gi', '4', '8Gi')}
etcd:
  enabled: true
  replicaCount: 3
  persistence:
    enabled: true
    size: 20Gi
minio:
  enabled: true
  mode: distributed
  persistence:
    enabled: true
    size: 500Gi
extraConfigFiles:
  user.yaml: |+
    common:
      session:
        # A dead node's session (and its hold on the time tick) ends with its lease:
        # measured, searches at bounded consistency stall until it does.
        ttl: 10
`;
}
