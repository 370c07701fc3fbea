/**
 * Core metadata (the METADATA file of a wheel, also served alone per PEP 658): an RFC 822 style header block.
 * Only the fields lamina needs are read.
 */

export interface CoreMetadata {
  name: string;
  version: string;
  requiresDist: string[];
  requiresPython?: string;
  /** PEP 639 License-Expression, else a one-line License field, else the license classifiers. */
  license?: string;
  summary?: string;
}

/** Parses the header part of a METADATA file (the body, a long description, is ignored). */
export function parseCoreMetadata(text: string): CoreMetadata {
  const fields = new Map<string, string[]>();
  let last: string | undefined;
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (line === '') break;
    if (/^[ \t]/.test(line) && last) {
      const values = fields.get(last)!;
      values[values.length - 1] += `\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    const values = fields.get(last) ?? [];
    values.push(line.slice(colon + 1).trim());
    fields.set(last, values);
  }
  const one = (key: string) => fields.get(key)?.[0];
  const name = one('name');
  const version = one('version');
  if (!name || !version) throw new Error('core metadata has no Name or Version field');
  return {
    name,
    version,
    requiresDist: fields.get('requires-dist') ?? [],
    requiresPython: one('requires-python') || undefined,
    license: licenseOf(one('license-expression'), one('license'), fields.get('classifier') ?? []),
    summary: one('summary'),
  };
}

function licenseOf(expression: string | undefined, license: string | undefined, classifiers: string[]): string | undefined {
  if (expression) return expression;
  // Some projects paste the whole license text into License; only a short one names the license.
  if (license && !license.includes('\n') && license.length <= 100 && license.toUpperCase() !== 'UNKNOWN') return license;
  const names = classifiers
    .filter((c) => c.startsWith('License ::'))
    .map((c) => c.split('::').pop()!.trim())
    .filter(Boolean);
  if (names.length > 0) return names.join(' OR ');
  return license ? license.split('\n')[0].slice(0, 100) : undefined;
}
