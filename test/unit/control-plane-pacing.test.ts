import { ControlPlanePacing } from '../../local/lambda-emulator/control-plane-pacing';
import { LambdaApiError } from '../../local/lambda-emulator/errors';

describe("the emulator's control-plane pacing (bench:publish)", () => {
  it('accepts a region’s rate per second and answers the rest as Lambda does (429 TooManyRequestsException, Retry-After), per region', async () => {
    let now = 1_000_000;
    const pacing = new ControlPlanePacing({ requestsPerSecond: 3 }, () => now);
    for (let i = 0; i < 3; i++) await pacing.admit('eu-west-1');
    const refused = await pacing.admit('eu-west-1').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(LambdaApiError);
    expect(refused).toMatchObject({ errorType: 'TooManyRequestsException', statusCode: 429, extraHeaders: { 'Retry-After': '1' } });
    // Another region has its own quota; time refills this one.
    await pacing.admit('us-east-1');
    now += 340;
    await pacing.admit('eu-west-1');
    expect(pacing.calls.get('eu-west-1')).toBe(5);
    expect(pacing.throttled.get('eu-west-1')).toBe(1);
    expect(pacing.throttled.get('us-east-1')).toBeUndefined();
  });

  it('adds the configured latency to each call', async () => {
    const pacing = ControlPlanePacing.fromEnvironment({ LAMINA_EMULATOR_LATENCY_MS: '60-80' });
    const start = performance.now();
    await pacing.admit('eu-west-1');
    expect(performance.now() - start).toBeGreaterThanOrEqual(55);
    expect(pacing.options.latencyMs).toEqual([60, 80]);
  });

  it('is off unless configured, and refuses a malformed setting naming it', async () => {
    expect(ControlPlanePacing.fromEnvironment({}).options).toEqual({});
    expect(() => ControlPlanePacing.fromEnvironment({ LAMINA_EMULATOR_LATENCY_MS: '300-100' })).toThrow(/LAMINA_EMULATOR_LATENCY_MS must be milliseconds/);
    expect(() => ControlPlanePacing.fromEnvironment({ LAMINA_EMULATOR_REQUESTS_PER_SECOND: 'fast' })).toThrow(/LAMINA_EMULATOR_REQUESTS_PER_SECOND must be a positive number/);
  });
});
