import { forEachZipEntry } from '../../archive/extract-zip';

/** Reads the METADATA file of a wheel on disk (`<name>-<version>.dist-info/METADATA`), streaming only that entry. */
export async function readWheelMetadata(wheelPath: string): Promise<string | undefined> {
  let text: string | undefined;
  await forEachZipEntry(wheelPath, async (info, openStream) => {
    if (text !== undefined || !/^[^/]+\.dist-info\/METADATA$/.test(info.name)) return;
    const chunks: Buffer[] = [];
    for await (const chunk of await openStream()) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  });
  return text;
}
