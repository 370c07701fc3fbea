import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { catalogJsonSchema } from '../../functions/catalog/catalog';
import { EXIT, type Command } from './command';
import { parseOptions } from './options';

export const CATALOG_SCHEMA_FILE = path.join(__dirname, '..', '..', 'schema', 'catalog.schema.json');

export const schemaCommand: Command = {
  async run(args) {
    const { values } = parseOptions(args, { print: { type: 'boolean', default: false } });
    const text = `${JSON.stringify(catalogJsonSchema(), null, 2)}\n`;
    if (values.print) process.stdout.write(text);
    else {
      await fs.writeFile(CATALOG_SCHEMA_FILE, text);
      console.log(`wrote ${path.relative(process.cwd(), CATALOG_SCHEMA_FILE)}`);
    }
    return EXIT.ok;
  },
};
