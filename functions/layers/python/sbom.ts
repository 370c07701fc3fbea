import { cycloneDxDocument } from '../cyclonedx';

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

/** A CycloneDX 1.5 SBOM of a python layer (see cycloneDxDocument). */
export function cycloneDx(layer: { name: string; version: string; description: string }, distributions: InstalledDistribution[]): string {
  const refOf = new Map(distributions.map((d) => [d.name.toLowerCase().replace(/[-_.]+/g, '-'), purlOf(d.name, d.version)]));
  return cycloneDxDocument(
    layer,
    distributions.map((d) => ({
      name: d.name,
      version: d.version,
      purl: purlOf(d.name, d.version),
      hashes: [{ alg: 'SHA-256', content: d.sha256 }],
      url: d.url,
      license: d.license,
      dependsOn: d.dependencies.map((key) => refOf.get(key)).filter((ref): ref is string => ref !== undefined),
      direct: d.direct,
      properties: [{ name: 'lamina:wheel', value: d.wheel }],
    })),
  );
}
