import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { listZip } from '../../functions/archive/extract-zip';
import { lamina } from '../support/cli';
import { useFixtureIndex } from './support/harness';

/** `lamina build` writes what the pipeline stores beside a zip: the manifest and the CycloneDX SBOM. */
describe('lamina build of a python entry', () => {
  const harness = useFixtureIndex();

  test('writes <layer>.zip, <layer>.manifest.json and <layer>.cdx.json into the output folder', async () => {
    const dir = path.join(harness.dir, 'build-command');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(
      path.join(dir, 'catalog.yaml'),
      `layers:\n  - name: requests\n    kind: python\n    requirements: ["requests"]\n    runtimes: [python3.11]\n    architectures: [x86_64]\n    index: ${harness.server.url}\n`,
    );
    const result = await lamina(['build', 'requests', '--out', 'dist', '--state', 'state'], dir);
    expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, stderr: '' });
    const base = path.join(dir, 'dist', 'lamina-py311-x86_64-requests');
    expect(result.stdout).toMatch(/dist\/lamina-py311-x86_64-requests\.zip\s+\d+/);
    expect(result.stderr).toContain('wrote dist/lamina-py311-x86_64-requests.manifest.json, dist/lamina-py311-x86_64-requests.cdx.json beside the zip');

    const manifest = JSON.parse(await fs.readFile(`${base}.manifest.json`, 'utf8')) as { distributions: Array<{ name: string; version: string }> };
    const names = manifest.distributions.map((d) => d.name.toLowerCase());
    expect(names).toEqual(expect.arrayContaining(['requests', 'idna', 'certifi', 'urllib3']));
    const sbom = JSON.parse(await fs.readFile(`${base}.cdx.json`, 'utf8')) as { bomFormat: string; components: Array<{ name: string; version: string }> };
    expect(sbom.bomFormat).toBe('CycloneDX');
    // The SBOM and the manifest describe the same distributions, and the zip holds them.
    expect(sbom.components.map((c) => `${c.name.toLowerCase()} ${c.version}`).sort()).toEqual(manifest.distributions.map((d) => `${d.name.toLowerCase()} ${d.version}`).sort());
    const entries = (await listZip(`${base}.zip`)).map((e) => e.name);
    expect(entries.some((name) => name.startsWith('python/requests/'))).toBe(true);
    expect(existsSync(path.join(dir, 'dist', 'sbom.cdx.json'))).toBe(false);
  });
});
