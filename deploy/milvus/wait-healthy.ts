/**
 * Waits until a Milvus server at ADDRESS answers checkHealth, or gives up.
 *   node --import tsx deploy/milvus/wait-healthy.ts 127.0.0.1:19530 [timeoutSeconds]
 * Exit 0: healthy. Exit 1: not healthy in time (the last error is printed).
 */
import { MilvusClient } from '@zilliz/milvus2-sdk-node';

const address = process.argv[2] ?? '127.0.0.1:19530';
const timeoutMs = Number(process.argv[3] ?? 120) * 1000;
const deadline = Date.now() + timeoutMs;
let last = 'no answer';

while (Date.now() < deadline) {
  const client = new MilvusClient({
    address,
    timeout: 3000,
    channelOptions: { 'grpc.keepalive_time_ms': 300_000, 'grpc.keepalive_permit_without_calls': 0 },
  });
  try {
    const health = await client.checkHealth();
    if (health.isHealthy) {
      await client.closeConnection();
      process.exit(0);
    }
    last = JSON.stringify(health.reasons ?? health);
  } catch (err) {
    last = (err as Error).message.split('\n')[0]!;
  }
  await client.closeConnection().catch(() => undefined);
  await new Promise((r) => setTimeout(r, 500));
}
console.error(`Milvus at ${address} not healthy after ${timeoutMs / 1000} s: ${last}`);
process.exit(1);
