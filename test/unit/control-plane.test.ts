import { LambdaClient } from '@aws-sdk/client-lambda';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LayerApi } from '../../functions/aws/lambda-layers';
import {
  CONTROL_PLANE_REQUESTS_PER_SECOND,
  PUBLISHES_PER_REGION,
  Pacer,
  controlPlaneRate,
  publishBurst,
  publishRate,
} from '../../functions/regions/control-plane';
import { distributedMaps, mapStates } from '../../statemachine/definition';
import { BUILDS_AT_ONCE } from '../../functions/plan/run-limits';
import { ControlPlanePacing } from '../../local/lambda-emulator/control-plane-pacing';

describe('the per-region control-plane limiter', () => {
  it('spaces calls 1/rate apart, the first at once', async () => {
    let clock = 1_000;
    const slept: number[] = [];
    const pacer = new Pacer(15, () => clock, async (ms) => {
      slept.push(ms);
      clock += ms;
    });
    for (let call = 0; call < 5; call++) await pacer.wait();
    expect(slept.map((ms) => Math.round(ms))).toEqual([67, 67, 67, 67]);
    clock += 10_000;
    await pacer.wait();
    expect(slept).toHaveLength(4);
  });

  it('lets a burst go at once after a pause, then holds calls to the rate', async () => {
    let clock = 1_000;
    const slept: number[] = [];
    const pacer = new Pacer(15, () => clock, async (ms) => {
      slept.push(ms);
      clock += ms;
    }, 3);
    for (let call = 0; call < 5; call++) await pacer.wait();
    expect(slept.map((ms) => Math.round(ms))).toEqual([67, 67]);
    clock += 10_000;
    for (let call = 0; call < 4; call++) await pacer.wait();
    expect(slept.map((ms) => Math.round(ms))).toEqual([67, 67, 67]);
  });

  it('PUBLISHES_PER_REGION publishes at their rate and burst are never refused by a region holding a second of its quota', async () => {
    delete process.env.LAMINA_CONTROL_PLANE_RATE;
    expect(publishBurst() * PUBLISHES_PER_REGION).toBeLessThanOrEqual(CONTROL_PLANE_REQUESTS_PER_SECOND);
    // Each publish sends dependent calls with pauses (latency, work, idle time between builds), all of them in step:
    // the worst case, every burst at once. When the pacer lets each call start is all that reaches the region.
    // (A burst of 4 each here is refused 31 times.)
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const starts: number[] = [];
    for (let lane = 0; lane < PUBLISHES_PER_REGION; lane++) {
      seed = 7;
      let clock = 0;
      const pacer = new Pacer(publishRate(), () => clock, async (ms) => {
        clock += ms;
      }, publishBurst());
      for (let call = 0; call < 400; call++) {
        clock += random() < 0.1 ? random() * 2_000 : random() * 150;
        await pacer.wait();
        starts.push(clock);
      }
    }
    let now = 0;
    const region = new ControlPlanePacing({ requestsPerSecond: CONTROL_PLANE_REQUESTS_PER_SECOND }, () => now);
    for (const at of starts.sort((a, b) => a - b)) {
      now = at;
      await region.admit('eu-west-1');
    }
    expect(region.calls.get('eu-west-1')).toBe(400 * PUBLISHES_PER_REGION);
    expect(region.throttled.get('eu-west-1')).toBeUndefined();
  });

  it('no region is asked more than the quota by design: concurrent publishes per region × each one\'s rate', () => {
    const maps = new Map(distributedMaps().map((map) => [map.name, map]));
    // Each region's publishes are one map of their own (on the distributed path a child execution of the
    // Publishes map per region, on the inline path an iteration of InlinePublishes), so a region sees at most its
    // MaxConcurrency publishes at once; each paces itself at publishRate().
    expect(maps.get('RegionPublishes')?.maxConcurrency).toBe(PUBLISHES_PER_REGION);
    // No other map publishes, and none bounds the regions: each publishes at its own quota, all at once.
    expect([...maps.keys()].sort()).toEqual(['Builds', 'Publishes', 'RegionPublishes']);
    expect(maps.get('Publishes')?.maxConcurrency).toBe(0);
    const inline = new Map(mapStates().filter((map) => map.mode === 'INLINE').map((map) => [map.name, map]));
    expect([...inline.keys()].sort()).toEqual(['InlinePublishes', 'InlineRegionPublishes', 'Verify']);
    expect(inline.get('InlineRegionPublishes')?.maxConcurrency).toBe(PUBLISHES_PER_REGION);
    expect(inline.get('InlinePublishes')?.maxConcurrency).toBe(0);
    expect(maps.get('Builds')?.maxConcurrency).toBe(BUILDS_AT_ONCE);
    delete process.env.LAMINA_CONTROL_PLANE_RATE;
    expect(controlPlaneRate()).toBe(CONTROL_PLANE_REQUESTS_PER_SECOND);
    expect(publishRate() * PUBLISHES_PER_REGION).toBeLessThanOrEqual(CONTROL_PLANE_REQUESTS_PER_SECOND);
  });

  describe('LayerApi paces every request its client sends', () => {
    let server: Server;
    const seen: number[] = [];
    beforeAll(async () => {
      server = createServer((request, response) => {
        seen.push(Date.now());
        request.resume();
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ LayerVersions: [] }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it('at the rate it was given', async () => {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const client = new LambdaClient({ region: 'eu-west-1', endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
      const api = new LayerApi('eu-west-1', client, 20);
      const started = Date.now();
      await Promise.all(Array.from({ length: 6 }, () => api.newestVersion('lamina-x')));
      expect(seen).toHaveLength(6);
      // Six calls at 20 per second: the last is sent at least 5 × 50 ms after the first was.
      expect(seen[5] - started).toBeGreaterThanOrEqual(5 * 50 - 2);
      client.destroy();
    });
  });
});
