import { parseCoreMetadata } from '../../functions/layers/python/core-metadata';
import { compareBuildTags, parseSdistFilename, parseWheelFilename } from '../../functions/layers/python/distribution-filename';
import { cycloneDx, purlOf } from '../../functions/layers/python/sbom';

describe('distribution file names', () => {
  test('wheels with compressed tag sets and build tags', () => {
    const wheel = parseWheelFilename('Charset_Normalizer-3.3.2-1b-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl')!;
    expect(wheel).toMatchObject({ key: 'charset-normalizer', version: '3.3.2', build: [1, 'b'] });
    expect(wheel.tags).toEqual(['cp312-cp312-manylinux_2_17_x86_64', 'cp312-cp312-manylinux2014_x86_64']);
    expect(parseWheelFilename('six-1.16.0-py2.py3-none-any.whl')!.tags).toEqual(['py2-none-any', 'py3-none-any']);
    expect(parseWheelFilename('broken-1.0-any.whl')).toBeNull();
    expect(parseWheelFilename('pkg-notaversion-py3-none-any.whl')).toBeNull();
    expect(compareBuildTags(null, [1, ''])).toBeLessThan(0);
    expect(compareBuildTags([2, ''], [10, ''])).toBeLessThan(0);
  });

  test('sdists, legacy spellings included', () => {
    expect(parseSdistFilename('python-dateutil-2.9.0.post0.tar.gz', 'python-dateutil')).toMatchObject({ version: '2.9.0.post0' });
    expect(parseSdistFilename('Django-5.1.zip', 'django')).toMatchObject({ version: '5.1' });
    expect(parseSdistFilename('other-1.0.tar.gz', 'django')).toBeNull();
  });
});

describe('core metadata', () => {
  test('requirements, Requires-Python and the license in order of precision', () => {
    const text = 'Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nLicense-Expression: MIT OR Apache-2.0\nLicense: see file\nRequires-Python: >=3.9\nRequires-Dist: a>=1\nRequires-Dist: b; extra == "x"\n\nLong text\nLicense: not a header\n';
    expect(parseCoreMetadata(text)).toEqual({ name: 'demo', version: '1.0', license: 'MIT OR Apache-2.0', requiresPython: '>=3.9', requiresDist: ['a>=1', 'b; extra == "x"'], summary: undefined });
    const classified = parseCoreMetadata('Name: d\nVersion: 2\nLicense: Copyright (c) 2024\n  All rights reserved\n  long text\nClassifier: License :: OSI Approved :: BSD License\n');
    expect(classified.license).toBe('BSD License');
  });
});

describe('CycloneDX', () => {
  test('deterministic document with purls, hashes, licenses and the dependency graph', () => {
    const dists = [
      { name: 'Requests', version: '2.32.3', wheel: 'requests-2.32.3-py3-none-any.whl', url: 'https://x/r.whl', sha256: 'aa', license: 'Apache-2.0', dependencies: ['idna'], direct: true },
      { name: 'idna', version: '3.8', wheel: 'idna-3.8-py3-none-any.whl', url: 'https://x/i.whl', sha256: 'bb', license: 'BSD License', dependencies: [], direct: false },
    ];
    const text = cycloneDx({ name: 'layer', version: '2.32.3', description: 'd' }, dists);
    expect(cycloneDx({ name: 'layer', version: '2.32.3', description: 'd' }, [...dists].reverse())).toBe(text);
    const bom = JSON.parse(text);
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(bom.components[1]).toMatchObject({ purl: 'pkg:pypi/requests@2.32.3', licenses: [{ license: { id: 'Apache-2.0' } }] });
    expect(bom.components[0].licenses).toEqual([{ license: { name: 'BSD License' } }]);
    expect(bom.dependencies).toContainEqual({ ref: purlOf('Requests', '2.32.3'), dependsOn: ['pkg:pypi/idna@3.8'] });
    expect(bom.dependencies).toContainEqual({ ref: 'lamina-layer:layer', dependsOn: ['pkg:pypi/requests@2.32.3'] });
  });
});
