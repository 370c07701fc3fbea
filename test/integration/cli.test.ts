import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { lamina } from '../support/cli';

const CATALOG = `
settings:
  regions: [us-east-1, eu-west-1, ap-southeast-2]
layers:
  - name: bash
    kind: bash-runtime
`;

describe('lamina CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lamina-cli-'));
    await writeFile(path.join(dir, 'catalog.yaml'), CATALOG);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('runs the pipeline, prints layer → region → ARN, and says so when a rerun has nothing new', async () => {
    const first = await lamina(['run'], dir);
    expect(first.stderr).not.toMatch(/Error/);
    expect(first.code).toBe(0);
    for (const region of ['us-east-1', 'eu-west-1', 'ap-southeast-2']) {
      expect(first.stdout).toMatch(new RegExp(`lamina-bash\\s+${region}\\s+arn:aws:lambda:${region}:000000000000:layer:lamina-bash:1\\s+published`));
    }
    expect(first.stdout).toContain('3 published, 0 unchanged, 0 repaired, 0 failed, 0 skipped (of 3 layer × region).');
    expect(first.stderr).toContain('published version 1');
    const second = await lamina(['run'], dir);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Nothing to change: every layer × region already matches the catalog');
    expect(second.stdout).toMatch(/lamina-bash\s+eu-west-1\s+arn:aws:lambda:eu-west-1:000000000000:layer:lamina-bash:1\s+unchanged/);
  });

  it('fails an invalid catalog with exit code 2, naming the file, entry, field and what is allowed, and starts nothing', async () => {
    const bad = path.join(dir, 'bad');
    await rm(bad, { recursive: true, force: true });
    await writeFile(`${bad}.yaml`, 'settings:\n  visibility: everyone\nlayers:\n  - name: node\n    kind: node-runtime\n    version: 12.16.1\n    architectures: [sparc]\n');
    const result = await lamina(['run', '--catalog', 'bad.yaml', '--state', 'bad'], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('bad.yaml is not a valid catalog');
    expect(result.stderr).toMatch(/settings\.visibility/);
    expect(result.stderr).toMatch(/layers\[0\] \(node\)\.architectures\[0\].*x86_64.*arm64|layers\[0\] \(node\)\.architectures/);
    expect(existsSync(bad)).toBe(false);
  });

  it('refuses an unknown layer with the list of known ones, and a region where Lambda does not run', async () => {
    const only = await lamina(['run', '--only', 'bash,nope', '--state', 'never'], dir);
    expect(only.code).toBe(2);
    expect(only.stderr).toContain('has no layer named nope; its layers are: bash');
    const region = await lamina(['run', '--regions', 'us-east-1,mars-north-1', '--state', 'never'], dir);
    expect(region.code).toBe(2);
    expect(region.stderr).toMatch(/mars-north-1 is not a region where Lambda runs; use one of: .*eu-west-1/);
    expect(existsSync(path.join(dir, 'never'))).toBe(false);
  });

  it('refuses an empty --regions or --only (never "all"), and serve on a state folder that does not exist, starting nothing', async () => {
    for (const option of ['--regions', '--only']) {
      const empty = await lamina(['run', option, '', '--state', 'never'], dir);
      expect({ option, code: empty.code }).toEqual({ option, code: 2 });
      expect(empty.stderr).toMatch(new RegExp(`${option} is empty: name at least one`));
    }
    const serve = await lamina(['serve', '--port', '0', '--state', 'never'], dir);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toMatch(/no local store in .*never: run `lamina run` first/);
    expect(existsSync(path.join(dir, 'never'))).toBe(false);
  });

  it('builds one entry to ./dist without publishing, and explains usage errors', async () => {
    const built = await lamina(['build', 'bash', '--out', 'dist', '--state', 'build-state'], dir);
    expect(built.code).toBe(0);
    expect(built.stdout).toMatch(/dist\/lamina-bash\.zip\s+\d+/);
    expect(existsSync(path.join(dir, 'dist', 'lamina-bash.zip'))).toBe(true);
    const unknown = await lamina(['frobnicate'], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const badOption = await lamina(['run', '--colour'], dir);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toMatch(/Unknown option '--colour'/);
  });
});
