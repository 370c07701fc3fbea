import { createHash } from 'node:crypto';

/** One component of a layer's SBOM, whatever its ecosystem (PyPI, npm...). */
export interface SbomComponent {
  name: string;
  version: string;
  /** package-url of the component, e.g. `pkg:npm/%40aws-sdk/client-s3@3.700.0`. */
  purl: string;
  /** Digests of the artifact it was installed from; CycloneDX names such as `SHA-256`, hex content. */
  hashes: Array<{ alg: string; content: string }>;
  /** Where the artifact was downloaded from. */
  url: string;
  license?: string;
  /** purls of the components it depends on in this layer. */
  dependsOn: string[];
  /** True when the catalog entry asks for it directly. */
  direct: boolean;
  properties?: Array<{ name: string; value: string }>;
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
export function cycloneDxDocument(layer: { name: string; version: string; description: string }, components: SbomComponent[]): string {
  const sorted = [...components].sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1));
  const digest = createHash('sha256')
    .update(JSON.stringify([layer, sorted.map((c) => [c.name, c.version, c.hashes[0]?.content ?? ''])]))
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
    components: sorted.map((c) => ({
      type: 'library',
      'bom-ref': c.purl,
      name: c.name,
      version: c.version,
      purl: c.purl,
      scope: 'required',
      hashes: c.hashes,
      ...(licensesOf(c.license) ? { licenses: licensesOf(c.license) } : {}),
      externalReferences: [{ type: 'distribution', url: c.url, hashes: c.hashes }],
      ...(c.properties ? { properties: c.properties } : {}),
    })),
    dependencies: [
      { ref: layerRef, dependsOn: sorted.filter((c) => c.direct).map((c) => c.purl) },
      ...sorted.map((c) => ({ ref: c.purl, dependsOn: c.dependsOn })),
    ],
  };
  return `${JSON.stringify(bom, null, 2)}\n`;
}
