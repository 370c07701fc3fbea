import { cycloneDxDocument } from '../cyclonedx';
import type { TreePackage } from './tree';

/** purl of an npm package (package-url spec: the scope's `@` percent-encoded). */
export function npmPurl(name: string, version: string): string {
  return `pkg:npm/${name.replace(/^@/, '%40')}@${encodeURIComponent(version)}`;
}

/** An SRI integrity (`sha512-<base64>`) as a CycloneDX hash. */
function hashOf(integrity: string): { alg: string; content: string } {
  const [algorithm, base64] = integrity.split(/\s+/)[0].split('-', 2);
  return { alg: algorithm.toUpperCase().replace('SHA', 'SHA-'), content: Buffer.from(base64 ?? '', 'base64').toString('hex') };
}

/** A CycloneDX 1.5 SBOM of an npm layer: one component per installed package, with its tarball's digest. */
export function npmSbom(layer: { name: string; version: string; description: string }, packages: TreePackage[], direct: string[]): string {
  const purlAt = new Map(packages.map((p) => [p.location, npmPurl(p.name, p.version)]));
  const directLocations = new Set(direct.map((name) => `node_modules/${name}`));
  // One component per name@version, even where npm installs it at several places.
  const seen = new Map<string, TreePackage & { isDirect: boolean }>();
  for (const p of packages) {
    const purl = purlAt.get(p.location)!;
    const known = seen.get(purl);
    seen.set(purl, { ...p, dependencies: [...new Set([...(known?.dependencies ?? []), ...p.dependencies])], isDirect: (known?.isDirect ?? false) || directLocations.has(p.location) });
  }
  return cycloneDxDocument(
    layer,
    [...seen.entries()].map(([purl, p]) => ({
      name: p.name,
      version: p.version,
      purl,
      hashes: [hashOf(p.integrity)],
      url: p.resolved,
      license: p.license,
      dependsOn: [...new Set(p.dependencies.map((location) => purlAt.get(location)!).filter(Boolean))].sort(),
      direct: p.isDirect,
      properties: [{ name: 'lamina:location', value: p.location }],
    })),
  );
}
