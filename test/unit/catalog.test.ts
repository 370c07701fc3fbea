import { CatalogError, MAX_CATALOG_TARGETS, catalogJsonSchema, expandCatalog, parseCatalog } from '../../functions/catalog/catalog';
import { nextRuns, scheduleProblem } from '../../functions/catalog/schedule';
import { LAYER_NAME } from '../../functions/layers/limits';

const good = `
settings:
  prefix: acme
  regions: [us-east-1, eu-west-1]
  visibility: { organization: o-abcd123456 }
  expiryDays: 7
  schedule: cron(0 3 * * ? *)
layers:
  - name: bash
    kind: bash-runtime
`;

function problems(text: string): string {
  try {
    parseCatalog(text, 'catalog.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(CatalogError);
    return (error as Error).message;
  }
  throw new Error('expected the catalog to be rejected');
}

describe('catalog', () => {
  it('reads settings and entries, with defaults for what is left out', () => {
    const catalog = parseCatalog(good, 'catalog.yaml');
    expect(catalog.settings).toMatchObject({
      prefix: 'acme',
      regions: ['us-east-1', 'eu-west-1'],
      visibility: { organization: 'o-abcd123456' },
      expiryDays: 7,
      schedule: 'cron(0 3 * * ? *)',
    });
    const minimal = parseCatalog('layers: [{ name: bash, kind: bash-runtime }]', 'c.json');
    expect(minimal.settings).toMatchObject({ prefix: 'lamina', regions: 'all', visibility: 'public', expiryDays: 30, schedule: 'rate(1 day)' });
  });

  it('accepts JSON as well as YAML', () => {
    const catalog = parseCatalog(JSON.stringify({ settings: { visibility: 'private' }, layers: [{ name: 'b', kind: 'bash-runtime' }] }), 'c.json');
    expect(catalog.settings.visibility).toBe('private');
  });

  it('names the file, the entry, the field and what is allowed', () => {
    const message = problems('layers:\n  - name: bash\n    kind: bash-runtime\n  - name: py\n    kind: pyhton\n');
    expect(message).toContain('catalog.yaml is not a valid catalog');
    expect(message).toMatch(/layers\[1\]\.kind: .*allowed: "bash-runtime", "node-runtime", "python"/);
  });

  it('rejects a region where Lambda does not run, listing the valid ones', () => {
    const message = problems('settings: { regions: [us-east-1, mars-north-1] }\nlayers: [{ name: b, kind: bash-runtime }]');
    expect(message).toMatch(/settings\.regions\[1\]: .*allowed: .*"eu-west-1"/);
  });

  it('rejects bad settings values with what is allowed', () => {
    expect(problems('settings: { prefix: "9bad!" }\nlayers: [{ name: b, kind: bash-runtime }]')).toMatch(/settings\.prefix: a prefix is 1-40/);
    expect(problems('settings: { schedule: "every day" }\nlayers: [{ name: b, kind: bash-runtime }]')).toMatch(/settings\.schedule: "every day" is not an EventBridge schedule: write rate\(1 day\)/);
    expect(problems('settings: { visibility: { accounts: ["12"] } }\nlayers: [{ name: b, kind: bash-runtime }]')).toMatch(
      /settings\.visibility.*12 digits|settings\.visibility/,
    );
    expect(problems('settings: { expiryDays: -1 }\nlayers: [{ name: b, kind: bash-runtime }]')).toMatch(/settings\.expiryDays/);
    expect(problems('settings: { colour: blue }\nlayers: [{ name: b, kind: bash-runtime }]')).toMatch(/settings: unknown field\(s\) colour/);
  });

  it('rejects duplicate names, missing layers and broken YAML', () => {
    expect(problems('layers: [{ name: b, kind: bash-runtime }, { name: b, kind: bash-runtime }]')).toMatch(/layers\[1\] \(b\)\.name: duplicate name: layers\[0\]/);
    expect(problems('layers: []')).toMatch(/layers: a catalog lists at least one layer/);
    expect(problems('layers: [ {')).toMatch(/file: not valid YAML or JSON/);
    expect(problems('layers: [{ kind: bash-runtime }]')).toMatch(/layers\[0\]\.name/);
  });

  it('names the location when the file is empty or not a mapping', () => {
    expect(problems('')).toMatch(/catalog\.yaml is not a valid catalog:\n  - file: the file is empty: a catalog lists at least one layer under `layers:`/);
    expect(problems('- just a list')).toMatch(/  - top level: /);
  });

  it('bounds the catalog: at most MAX_CATALOG_TARGETS layers', () => {
    const entries = (count: number) => `layers:\n${Array.from({ length: count }, (_, i) => `  - { name: b${i}, kind: bash-runtime }`).join('\n')}\n`;
    expect(problems(entries(MAX_CATALOG_TARGETS + 1))).toMatch(/layers: at most 10000 entries \(and layers\) per catalog; split it/);
    expect(expandCatalog(parseCatalog(entries(3), 'catalog.yaml'))).toHaveLength(3);
  });

  it('takes only schedules EventBridge takes, and says what is wrong with the others', () => {
    for (const valid of ['rate(1 minute)', 'rate(5 minutes)', 'rate(1 day)', 'rate(12 hours)', 'cron(0 3 * * ? *)', 'cron(0 10 ? * 6#3 *)', 'cron(0 18 L * ? *)', 'cron(0/15 * ? * MON-FRI 2026-2030)']) {
      expect({ valid, problem: scheduleProblem(valid) }).toEqual({ valid, problem: undefined });
    }
    expect(scheduleProblem('rate(1 days)')).toMatch(/singular for 1: rate\(1 day\)/);
    expect(scheduleProblem('rate(5 minute)')).toMatch(/plural for 5: rate\(5 minutes\)/);
    expect(scheduleProblem('rate(0 minutes)')).toMatch(/not an EventBridge rate: write rate\(<whole number ≥ 1>/);
    expect(scheduleProblem('rate(-1 minutes)')).toMatch(/not an EventBridge rate/);
    expect(scheduleProblem('cron(a b c d e f)')).toMatch(/not a valid EventBridge cron: Element 'a' of minutes field is invalid/);
    expect(scheduleProblem('cron(0 12 * * * *)')).toMatch(/one of day-of-month and day-of-week must be \?/);
    expect(scheduleProblem('cron(0 12 * * ?)')).toMatch(/six fields/);
    expect(scheduleProblem('daily')).toMatch(/not an EventBridge schedule/);
    expect(problems('settings: { schedule: "rate(1 days)" }\nlayers: [{ name: b, kind: bash-runtime }]')).toMatch(/settings\.schedule: "rate\(1 days\)": EventBridge wants the singular/);
  });

  it('computes next run times for the operations issue (UTC)', () => {
    expect(nextRuns('cron(0 12 ? * MON-FRI *)', new Date('2026-01-02T13:00:00Z'), 2).map((d) => d.toISOString())).toEqual([
      '2026-01-05T12:00:00.000Z',
      '2026-01-06T12:00:00.000Z',
    ]);
    expect(nextRuns('rate(6 hours)', new Date('2026-01-01T00:00:00Z'), 2).map((d) => d.toISOString())).toEqual(['2026-01-01T06:00:00.000Z', '2026-01-01T12:00:00.000Z']);
  });

  it('checks kind-specific fields through the kind (node-runtime needs a version)', () => {
    expect(problems('layers: [{ name: node, kind: node-runtime, architectures: [x86_64] }]')).toMatch(/layers\[0\] \(node\)\.version/);
  });

  it('expands entries into layer names with the prefix and refuses collisions', () => {
    const catalog = parseCatalog(good, 'catalog.yaml');
    const targets = expandCatalog(catalog);
    expect(targets.map((target) => target.layerName)).toEqual(['acme-bash']);
    expect(targets[0].runtimes).toEqual(expect.arrayContaining(['provided.al2023', 'provided.al2']));
  });

  const longestEntries = {
    'bash-runtime': '',
    'node-runtime': ', version: "22"',
    files: ', sources: [{ folder: bin, to: bin }]',
    python: ', requirements: [requests], runtimes: [python3.12], architectures: [x86_64, arm64]',
    npm: ', packages: [express], runtimes: [nodejs22.x], architectures: [x86_64, arm64]',
  };

  it('takes entry names of 1-64 letters, digits, - and _ for every kind, and says why', () => {
    for (const [kind, fields] of Object.entries(longestEntries)) {
      const entry = (name: string) => `layers: [{ name: "${name}", kind: ${kind}${fields} }]`;
      expect(parseCatalog(entry('n'.repeat(64)), 'catalog.yaml').layers).toHaveLength(1);
      for (const bad of ['n'.repeat(65), '-leading-dash', 'a b', 'a/b']) {
        expect(problems(entry(bad))).toMatch(/\.name: an entry name is 1-64 letters, digits, - or _, the first a letter or digit: it becomes part of the AWS layer name/);
      }
    }
  });

  it('fits the longest prefix and entry name of every kind into an AWS layer name', () => {
    for (const [kind, fields] of Object.entries(longestEntries)) {
      const catalog = parseCatalog(`settings: { prefix: ${'p'.repeat(40)} }\nlayers: [{ name: ${'n'.repeat(64)}, kind: ${kind}${fields} }]`, 'catalog.yaml');
      for (const target of expandCatalog(catalog)) expect(target.layerName).toMatch(LAYER_NAME);
    }
  });

  it('emits a JSON Schema that knows every kind', () => {
    const schema = JSON.stringify(catalogJsonSchema());
    for (const kind of ['bash-runtime', 'node-runtime', 'python']) expect(schema).toContain(`"${kind}"`);
    expect(schema).toContain('"organization"');
  });
});

describe('schema/catalog.schema.json', () => {
  it('is the schema the code validates with (regenerate with `npx lamina schema`)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const committed = require('../../schema/catalog.schema.json');
    expect(committed).toEqual(JSON.parse(JSON.stringify(catalogJsonSchema())));
  });
});
