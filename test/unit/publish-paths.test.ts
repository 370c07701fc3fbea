import { readFileSync } from 'node:fs';
import { FAILURE_NOT_RECORDED, FAILURE_NOT_RECORDED_CAUSE } from '../../functions/shared/pipeline-events';
import { DEFINITION_FILE } from '../../statemachine/definition';

interface State {
  Type: string;
  Next?: string;
  Catch?: { Next: string }[];
  ItemProcessor?: { ProcessorConfig?: { Mode?: string }; StartAt: string; States: Record<string, State> };
  [field: string]: unknown;
}

const definition = JSON.parse(readFileSync(DEFINITION_FILE, 'utf8')) as { States: Record<string, State> };
const states = definition.States;
const regionMap = states.Publishes.ItemProcessor!.States.RegionPublishes;
const distributed = regionMap.ItemProcessor!.States;
const inlineRegionMap = states.InlinePublishes.ItemProcessor!.States.InlineRegionPublishes;
const inline = inlineRegionMap.ItemProcessor!.States;
/** Each inline copy's name and the distributed state it copies (ASL state names are unique in the definition). */
const COPIES = { InlinePublish: 'Publish', InlineRecordPublishFailure: 'RecordPublishFailure', InlinePublishFailureNotRecorded: 'PublishFailureNotRecorded' } as const;

/** A state with its Catch targets renamed to the distributed path's names: what the copy must then equal. */
function asOriginal(state: State): State {
  const copy = structuredClone(state);
  for (const catcher of copy.Catch ?? []) catcher.Next = COPIES[catcher.Next as keyof typeof COPIES] ?? catcher.Next;
  return copy;
}

describe('the inline publish path is the distributed one, in inline Maps (statemachine/pipeline.asl.json)', () => {
  it('PublishPath sends a plan PlanPublishes returned whole to InlinePublishes, any other to Publishes', () => {
    expect(states.PlanPublishes.Next).toBe('PublishPath');
    expect(states.PublishPath).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.publishPlan.inline', IsPresent: true, Next: 'InlinePublishes' }],
      Default: 'Publishes',
    });
  });

  it("Publish and RecordPublishFailure run inline as exact copies: Resource, Parameters, Retry, Catch, paths, timeouts", () => {
    expect(inlineRegionMap.ItemProcessor!.StartAt).toBe('InlinePublish');
    expect(asOriginal(inline.InlinePublish)).toEqual(distributed.Publish);
    expect(asOriginal(inline.InlineRecordPublishFailure)).toEqual(distributed.RecordPublishFailure);
    // Each publish gets the same input on either path; inline, its layer is picked by position from the plan's
    // layers (each in the state once), where a region's map reads it from the region's items.
    expect(inlineRegionMap.ItemSelector).toEqual({ ...(regionMap.ItemSelector as object), 'layer.$': 'States.ArrayGetItem($.layers, $$.Map.Item.Value)' });
    expect(inlineRegionMap.ItemsPath).toBe('$.positions');
    expect(states.InlinePublishes.ItemSelector).toMatchObject({ 'positions.$': '$$.Map.Item.Value.layers', 'layers.$': '$.publishPlan.inline.layers' });
    expect(inlineRegionMap.MaxConcurrency).toBe(regionMap.MaxConcurrency);
    // Both maps end where they report: the run's state, and the same Catch.
    expect(states.InlinePublishes).toMatchObject({ ResultPath: states.Publishes.ResultPath, Catch: states.Publishes.Catch, Next: states.Publishes.Next });
  });

  it('both maps are inline, and no state of the inline path fails its iteration: an unrecorded failure ends in a marker', () => {
    expect(states.InlinePublishes.ItemProcessor!.ProcessorConfig?.Mode).toBe('INLINE');
    expect(inlineRegionMap.ItemProcessor!.ProcessorConfig?.Mode).toBe('INLINE');
    expect(Object.keys(inline).sort()).toEqual(Object.keys(COPIES).sort());
    expect(Object.values(inline).map((state) => state.Type)).not.toContain('Fail');
    const fail = distributed.PublishFailureNotRecorded;
    expect(fail).toEqual({ Type: 'Fail', Error: FAILURE_NOT_RECORDED, Cause: FAILURE_NOT_RECORDED_CAUSE });
    // Report reads the marker as the Fail state's Error and Cause, with the layer and region the input names.
    expect(inline.InlinePublishFailureNotRecorded).toMatchObject({
      Type: 'Pass',
      Parameters: { Error: fail.Error, Cause: fail.Cause, 'layerName.$': '$.layer.layerName', 'region.$': '$.region' },
      End: true,
    });
    expect(inline.InlineRecordPublishFailure.Catch?.[0].Next).toBe('InlinePublishFailureNotRecorded');
  });
});
