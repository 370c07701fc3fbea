import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { settingsSchema } from '../../functions/catalog/settings';
import { pythonKind } from '../../functions/layers/python/kind';
import { PYTHON_RUNTIME_IDS } from '../../functions/layers/python/lambda-runtimes';

describe('examples/python.catalog.yaml', () => {
  test('every entry is a valid python entry and expands to valid layer names, no network needed', async () => {
    const document = parse(await fs.readFile(path.join(__dirname, '../../examples/python.catalog.yaml'), 'utf8')) as { settings: unknown; layers: unknown[] };
    const settings = settingsSchema.parse(document.settings);
    const entries = document.layers.map((layer) => pythonKind.entrySchema.parse(layer));
    expect(entries.map((e) => e.name)).toEqual(expect.arrayContaining(['requests', 'numpy', 'pandas', 'pydantic']));
    const targets = entries.flatMap((e) => pythonKind.expand(e, { prefix: settings.prefix, pythonIndexUrl: settings.pythonIndexUrl }));
    expect(new Set(targets.map((t) => t.layerName)).size).toBe(targets.length);
    expect(targets.every((t) => /^[a-zA-Z0-9_-]{1,140}$/.test(t.layerName) && t.description.length <= 256)).toBe(true);
    const requests = targets.filter((t) => t.entry === 'requests');
    expect(requests.map((t) => `${t.runtimes[0]} ${t.architectures[0]}`)).toEqual(PYTHON_RUNTIME_IDS.flatMap((r) => [`${r} x86_64`, `${r} arm64`]));
  });
});
