import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { ParameterStore } from '../../functions/aws/ssm-parameters';
import { run as publishHandler } from '../../functions/publish/handler';
import type { PublishEvent } from '../../functions/shared/pipeline-events';
import { LayerStore } from '../../functions/store/layer-store';
import { startLocalPipeline, type LocalPipeline } from '../support/local-pipeline';
import { taskStates } from '../../statemachine/definition';
import { requestCounter, totalOf, type RequestCounts } from '../support/request-count';

const CATALOG = `
settings:
  regions: [us-east-1]
  audit: { share: 0, atLeast: 0 }
layers:
  - name: data
    kind: files
    sources: [{ folder: data, to: share }]
    architectures: [x86_64]
`;

/**
 * What one Publish (the handler, with its SSM lookup and its events) sends to the real local services, by
 * operation. The counts are the design: a change that adds a request to a publish fails here, on purpose.
 */
/** Task state → handler: Publish runs as the Publish state on the distributed path, InlinePublish on the inline one. */
const HANDLERS = taskStates();

describe('the requests one Publish makes (real handler, embedded services)', () => {
  let pipeline: LocalPipeline;
  let counter: ReturnType<typeof requestCounter>;
  const built: PublishEvent[] = [];
  const publishOnce = (label: string, event: PublishEvent) => counter.count(label, () => publishHandler(event));

  beforeAll(async () => {
    pipeline = await startLocalPipeline(CATALOG, {
      onTask: (state, input) => void (HANDLERS[state] === 'publish' && built.push(input as PublishEvent)),
    });
    await mkdir(path.join(pipeline.stateDir, 'data'), { recursive: true });
    await writeFile(path.join(pipeline.stateDir, 'data', 'content.txt'), 'first');
    expect((await pipeline.run()).summary.failed).toBe(false);
    counter = requestCounter();
  });
  afterAll(async () => {
    counter?.close();
    await pipeline?.close();
  });

  /** The requests of a publish of version 1 that finds it in Lambda already (no claim), its lookup current. */
  const found: RequestCounts = {
    'Lambda.ListLayerVersions': 1, // the newest version...
    'Lambda.GetLayerVersion': 1, // ...and its CodeSha256
    'Lambda.GetLayerVersionPolicy': 1,
    'DynamoDB.BatchGetItem': 1, // the version item (which run published it?) and the pointer, as recorded
    'DynamoDB.PutItem': 3, // version item, pointer (auditedAt; settled as written: nothing is older than version 1), outcome
    'SSM.GetParameter': 1, // already the pointer's ARN: not written
  };
  /** A first publish of a layer to a region. */
  const first: RequestCounts = {
    'Lambda.ListLayerVersions': 1, // nothing there; the claim is fresh, so this look stands (no second one under it)
    'DynamoDB.PutItem': 4, // the claim (a new item), version item (right after PublishLayerVersion), pointer (settled as written), outcome
    'S3.GET': 1, // the artifact, checked against its sha256 (once per run and container: each publish here is another run)
    'Lambda.PublishLayerVersion': 1, // (the claim is not released afterwards: the content is there, the lease runs out)
    'Lambda.AddLayerVersionPermission': 1, // a version made just now has no policy to read first
    'SSM.PutParameter': 1, // a version made just now: the parameter cannot hold it, so it is not read first
    'DynamoDB.GetItem': 1, // after that write, the pointer (strongly consistent): has a newer Publish moved it?
    'EventBridge.PutEvents': 1, // from what was recorded: nothing read back
  };
  const sorted = (counts: RequestCounts) => Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
  const plus = (base: RequestCounts, more: RequestCounts) => {
    const sum = { ...base };
    for (const [operation, n] of Object.entries(more)) sum[operation] = (sum[operation] ?? 0) + n;
    return sorted(Object.fromEntries(Object.entries(sum).filter(([, n]) => n !== 0)));
  };

  it('first publish, rerun, retried step, republish with new content, and two runs at once', async () => {
    const firstEvent = { ...built[0], region: 'eu-west-1', runId: 'count-first' };
    expect(await publishOnce('first', firstEvent)).toMatchObject({ status: 'published', version: 1 });
    expect(counter.of('first')).toEqual(sorted(first));
    expect(totalOf(first)).toBe(11);

    // Another run with nothing to do: no claim, no write to the lookup, no event.
    expect(await publishOnce('rerun', { ...firstEvent, runId: 'count-rerun' })).toMatchObject({ status: 'unchanged', version: 1 });
    expect(counter.of('rerun')).toEqual(sorted(found));

    // The same run again (a retried step after PublishLayerVersion): reported published, its events read back.
    expect(await publishOnce('retry', firstEvent)).toMatchObject({ status: 'published', version: 1 });
    expect(counter.of('retry')).toEqual(plus(found, { 'DynamoDB.Query': 1, 'EventBridge.PutEvents': 1 }));

    // New content over a settled version 1: the old one is deprecated, and announced from what was recorded.
    await writeFile(path.join(pipeline.stateDir, 'data', 'content.txt'), 'second');
    expect((await pipeline.run()).summary.failed).toBe(false);
    const republished = await publishOnce('republish', { ...built[1], region: 'eu-west-1', runId: 'count-second' });
    expect(republished).toMatchObject({ status: 'published', version: 2 });
    expect(counter.of('republish')).toEqual(
      plus(first, {
        'Lambda.GetLayerVersion': 1, // the newest version's CodeSha256 (version 1, other content)
        'DynamoDB.Query': 1, // older versions still marked latest, after the pointer moved
        'DynamoDB.UpdateItem': 2, // version 1 deprecated; then the pointer settled
      }),
    );
    expect(totalOf(counter.of('republish'))).toBe(15);
    const store = new LayerStore();
    expect(await store.getLatest('eu-west-1', 'lamina-data')).toMatchObject({ version: 2, settled: true });
    expect(await store.getVersion('lamina-data', 'eu-west-1', 1)).toMatchObject({ status: 'deprecated' });
    expect(await new ParameterStore('eu-west-1').get('/lamina/layers/lamina-data/latest')).toBe(republished.arn);

    // Two runs at once: one publishes (exactly as a first publish), the other waits, then finds the content.
    const pair = await Promise.all(['a', 'b'].map((run) => publishOnce(run, { ...built[0], region: 'ap-southeast-2', runId: `count-${run}` })));
    expect(pair.map((outcome) => outcome.status).sort()).toEqual(['published', 'unchanged']);
    const [winner, loser] = pair[0].status === 'published' ? ['a', 'b'] : ['b', 'a'];
    expect(counter.of(winner)).toEqual(sorted(first));
    // Each round of its wait (one, unless the winner took longer than a poll) reads the claim and looks at Lambda.
    const rounds = counter.of(loser)['Lambda.ListLayerVersions'] - 1;
    expect(counter.of(loser)).toEqual(
      rounds === 0
        ? sorted(found) // it looked after the winner had published
        : plus(found, {
            'DynamoDB.PutItem': 1, // the claim as a new item, refused
            'DynamoDB.GetItem': rounds, // the claim, each round
            'Lambda.ListLayerVersions': rounds,
          }),
    );
  });
});
