import { describe, expect, it } from 'vitest';
import { workerIdentity } from '../../src/lifecycle/worker-identity.ts';
import { FailureRate } from '../../src/limits/failure-rules.ts';
import { createAdmission } from '../../src/server/admission/build-admission.ts';
import { admissionOptions } from '../../src/server/compose.ts';
import { testConfig } from '../helpers.ts';

describe('createAdmission', () => {
  it('divides a deployment-wide rate by the worker count under PM2, not when running alone', () => {
    const config = testConfig({ rateLimit: 1000, rateLimitBurst: 2000, workers: 4 });
    const underPm2 = workerIdentity({ NODE_APP_INSTANCE: '2' });
    const clustered = createAdmission(admissionOptions(config, underPm2));
    expect(clustered.rate).toEqual({ configured: 1000, perWorker: 250, workers: 4 });
    expect(clustered.rateLimiter?.policy).toEqual({ quota: 500, windowSeconds: 2 });
    const alone = createAdmission(admissionOptions(config, workerIdentity({})));
    expect(alone.rate).toEqual({ configured: 1000, perWorker: 1000, workers: 1 });
  });

  it('builds each configured control and leaves out the disabled ones', () => {
    const all = createAdmission(
      admissionOptions(
        testConfig({
          rateLimit: 10,
          rateLimitAlgorithm: 'sliding-log',
          concurrencyLimit: 8,
          adaptiveConcurrency: true,
          breaker: 'rate',
          maxEventLoopLagSeconds: 0.1,
        }),
        workerIdentity({}),
      ),
    );
    expect(all.rateLimiter?.name).toBe('sliding-log');
    expect(all.concurrency).toMatchObject({ adaptive: true, limit: 8 });
    expect(all.breaker?.rule).toBeInstanceOf(FailureRate);
    expect(all.breaker?.rule).toMatchObject({ threshold: 0.5, minVolume: 20 });
    expect(all.eventLoop?.maxLagMs).toBe(100);
    all.eventLoop?.stop();
    const none = createAdmission(
      admissionOptions(
        testConfig({
          rateLimit: 0,
          concurrencyLimit: 0,
          breaker: 'off',
          maxEventLoopLagSeconds: 0,
        }),
        workerIdentity({}),
      ),
    );
    expect(none).toMatchObject({
      rateLimiter: null,
      concurrency: null,
      breaker: null,
      eventLoop: null,
    });
  });
});
