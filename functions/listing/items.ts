import type { LatestItem, Verification, VersionItem, VersionStatus } from '../../schema/table';

/** One layer version as the listing shows it: the same fields in JSON, CSV and HTML. */
export interface ListingItem {
  name: string;
  kind: string;
  /** The catalog entry the layer comes from (a package name, or the runtime's name). */
  package: string;
  /** The packaged version (e.g. `2.32.3`, `12.16.1`), where the kind records one. */
  packageVersion: string | null;
  runtimes: string[];
  architectures: string[];
  region: string;
  arn: string;
  version: number;
  sha256: string;
  publishedAt: string;
  status: VersionStatus;
  /** When a deprecated version will be deleted; null while it is the latest. */
  expiresAt: string | null;
  deletedAt: string | null;
  description: string;
  /** How this version was verified before it was published, per runtime × architecture. */
  verifications: Array<Pick<Verification, 'runtime' | 'architecture' | 'status' | 'where' | 'at'>>;
}

/** The attributes of a stored version or latest pointer that the listing shows: all the listing reads of them. */
export const LISTED_ATTRIBUTES = [
  'layerName',
  'kind',
  'entry',
  'packageVersion',
  'runtimes',
  'architectures',
  'region',
  'arn',
  'version',
  'sha256',
  'publishedAt',
  'status',
  'expiresAt',
  'deletedAt',
  'description',
  'verifications',
] as const satisfies readonly (keyof LatestItem & keyof VersionItem)[];

/** A version or latest pointer as the listing reads it (a Query projected on LISTED_ATTRIBUTES). */
export type ListedRecord = Pick<LatestItem | VersionItem, (typeof LISTED_ATTRIBUTES)[number]>;

/** The attribute of a latest pointer holding its listing JSON (schema/table.ts `LatestItem.listingV1`). */
export const LISTED_JSON = 'listingV1' satisfies keyof LatestItem;

/** The listing JSON of a pointer, as the listing sends it: what the pointer's `listingV1` holds. */
export function listedJson(item: ListedRecord): string {
  return JSON.stringify(toListingItem(item));
}

/** The listing's view of a stored version or latest pointer. */
export function toListingItem(item: ListedRecord): ListingItem {
  return {
    name: item.layerName,
    kind: item.kind,
    package: item.entry,
    packageVersion: item.packageVersion ?? null,
    runtimes: item.runtimes ?? [],
    architectures: item.architectures ?? [],
    region: item.region,
    arn: item.arn,
    version: item.version,
    sha256: item.sha256,
    publishedAt: item.publishedAt,
    status: item.status,
    expiresAt: item.expiresAt ?? null,
    deletedAt: item.deletedAt ?? null,
    description: item.description ?? '',
    verifications: (item.verifications ?? []).map(({ runtime, architecture, status, where, at }) => ({ runtime, architecture, status, where, at })),
  };
}

/** A column of a CSV or HTML rendering. */
export interface Column<T> {
  key: string;
  title: string;
  value: (item: T) => string;
}

const list = (values: string[]) => values.join(' ');

/** The columns of a layer listing, in the order CSV and HTML show them. */
export const LAYER_COLUMNS: Column<ListingItem>[] = [
  { key: 'name', title: 'Name', value: (i) => i.name },
  { key: 'kind', title: 'Kind', value: (i) => i.kind },
  { key: 'package', title: 'Package', value: (i) => i.package },
  { key: 'packageVersion', title: 'Package version', value: (i) => i.packageVersion ?? '' },
  { key: 'runtimes', title: 'Runtimes', value: (i) => list(i.runtimes) },
  { key: 'architectures', title: 'Architectures', value: (i) => list(i.architectures) },
  { key: 'region', title: 'Region', value: (i) => i.region },
  { key: 'arn', title: 'ARN', value: (i) => i.arn },
  { key: 'version', title: 'Version', value: (i) => String(i.version) },
  { key: 'sha256', title: 'SHA-256', value: (i) => i.sha256 },
  { key: 'publishedAt', title: 'Published', value: (i) => i.publishedAt },
  { key: 'status', title: 'Status', value: (i) => i.status },
  { key: 'expiresAt', title: 'Expires', value: (i) => i.expiresAt ?? '' },
  {
    key: 'verified',
    title: 'Verified',
    value: (i) => i.verifications.map((v) => `${v.runtime} ${v.architecture}: ${v.status} (${v.where === 'aws' ? 'on AWS' : 'locally'}, ${v.at})`).join('; '),
  },
];

export interface RegionEntry {
  region: string;
  /** healthy, unhealthy or denied (functions/regions/health.ts). */
  health?: string;
  /** Why, for a region that is not healthy. */
  healthDetail?: string;
}

export const REGION_COLUMNS: Column<RegionEntry>[] = [
  { key: 'region', title: 'Region', value: (r) => r.region },
  { key: 'health', title: 'Health', value: (r) => r.health ?? 'healthy' },
  { key: 'healthDetail', title: 'Health detail', value: (r) => r.healthDetail ?? '' },
];
