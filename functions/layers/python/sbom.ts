import { createHash } from 'node:crypto';

/** One installed distribution, as recorded in a layer's manifest. */
export interface InstalledDistribution {
  /** The project name as its metadata spells it. */
  name: string;
  version: string;
  wheel: string;
  url: string;
  sha256: string;
  license?: string;
  /** PEP 503 names of the distributions it depends on in this layer. */
  dependencies: string[];
  /** True when the catalog entry asks for it directly. */
  direct: boolean;
}

/** purl of a PyPI distribution (package-url spec: lowercase, `_` as `-`). */
export function purlOf(name: string, version: string): string {
  return `pkg:pypi/${name.toLowerCase().replace(/[-_.]+/g, '-')}@${encodeURIComponent(version)}`;
}

const SPDX_ID = /^[A-Za-z0-9.+-]+$/;

function licensesOf(license: string | undefined): unknown[] | undefined {
  if (!license) return undefined;
  // A single SPDX identifier or an SPDX expression is stated as such; free text becomes a named license.
  if (SPDX_ID.test(license)) return [{ license: { id: license } }];
  if (/^[A-Za-z0-9.+\-() ]+$/.test(license) && /\b(AND|OR|WITH)\b/.test(license)) return [{ expression: license }];
  return [{ license: { name: license } }];
}

/**
 * A CycloneDX 1.5 SBOM of a layer. Deterministic: no timestamp, and the serial number derives from the content,
 * so the same layer always gives the same document.
 */
export function cycloneDx(layer: { name: string; version: string; description: string }, distributions: InstalledDistribution[]): string {
  const sorted = [...distributions].sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1));
  const refOf = new Map(sorted.map((d) => [d.name.toLowerCase().replace(/[-_.]+/g, '-'), purlOf(d.name, d.version)]));
  const digest = createHash('sha256')
    .update(JSON.stringify([layer, sorted.map((d) => [d.name, d.version, d.sha256])]))
    .digest('hex');
  const uuid = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-5${digest.slice(13, 16)}-${((parseInt(digest[16], 16) & 0x3) | 0x8).toString(16)}${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
  const layerRef = `lamina-layer:${layer.name}`;
  const bom = {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${uuid}`,
    version: 1,
    metadata: {
      tools: { components: [{ type: 'application', name: 'lamina' }] },
      component: { type: 'library', 'bom-ref': layerRef, name: layer.name, version: layer.version, description: layer.description },
    },
    components: sorted.map((d) => ({
      type: 'library',
      'bom-ref': purlOf(d.name, d.version),
      name: d.name,
      version: d.version,
      purl: purlOf(d.name, d.version),
      scope: 'required',
      hashes: [{ alg: 'SHA-256', content: d.sha256 }],
      ...(licensesOf(d.license) ? { licenses: licensesOf(d.license) } : {}),
      externalReferences: [{ type: 'distribution', url: d.url, hashes: [{ alg: 'SHA-256', content: d.sha256 }] }],
      properties: [{ name: 'lamina:wheel', value: d.wheel }],
    })),
    dependencies: [
      { ref: layerRef, dependsOn: sorted.filter((d) => d.direct).map((d) => purlOf(d.name, d.version)) },
      ...sorted.map((d) => ({
        ref: purlOf(d.name, d.version),
        dependsOn: d.dependencies.map((key) => refOf.get(key)).filter((ref): ref is string => ref !== undefined),
      })),
    ],
  };
  return `${JSON.stringify(bom, null, 2)}\n`;
}
