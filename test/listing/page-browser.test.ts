import { existsSync, promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import axe from 'axe-core';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { exportListing } from '../../functions/listing/static-export';
import { LayerStore } from '../../functions/store/layer-store';
import { SNIPPETS, fillSnippet } from '../../functions/listing/snippets';
import { startListingServer, type ListingServer } from '../../local/commands/serve';
import { PIPELINE_REGIONS, PY312_ARM, PY313_X86, seedListing, type SeededListing } from './seed';

// LAMINA_CHROMIUM points elsewhere (or nowhere, to see the skip).
// Globals of the browser, where the functions handed to page.evaluate run (the project compiles without the DOM lib).
declare const document: any, navigator: any;

const CHROMIUM = process.env.LAMINA_CHROMIUM ?? '/usr/bin/chromium';
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser) {
  // eslint-disable-next-line no-console
  console.warn(`page browser test skipped: no browser at ${CHROMIUM}; install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
}
const describeWithBrowser = haveBrowser ? describe : describe.skip;

/** Serves a folder as a static web host would (the static export's use). */
async function serveFolder(root: string): Promise<{ url: string; close(): Promise<void>; server: Server }> {
  const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.json': 'application/json', '.csv': 'text/csv' };
  const server = createServer(async (request, response) => {
    const relative = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
    const file = path.resolve(root, relative);
    if (!file.startsWith(root + path.sep)) return void response.writeHead(404).end();
    try {
      const body = await fs.readFile(file);
      response.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describeWithBrowser('the listing page in Chromium', () => {
  let seeded: SeededListing;
  let api: ListingServer;
  let staticSite: Awaited<ReturnType<typeof serveFolder>>;
  let profile: string;
  let context: BrowserContext;
  let exportDir: string;

  beforeAll(async () => {
    seeded = await seedListing();
    const deps = seeded.deps();
    api = await startListingServer({ deps: () => deps });
    exportDir = await fs.mkdtemp(path.join(tmpdir(), 'lamina-export-'));
    await exportListing(PIPELINE_REGIONS, { store: new LayerStore(), localDir: exportDir });
    staticSite = await serveFolder(exportDir);
    profile = await fs.mkdtemp(path.join(tmpdir(), 'lamina-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    for (const origin of [api.url, staticSite.url]) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  });

  afterAll(async () => {
    await context?.close();
    await api?.close();
    await staticSite?.close();
    await seeded?.close();
    for (const dir of [profile, exportDir]) if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  const shownLayers = (page: Page) => page.locator('#rows tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-layer')));

  async function expectLayers(page: Page, expected: string[]) {
    await page.waitForFunction(
      (names) => JSON.stringify([...document.querySelectorAll('#rows tr')].map((row: any) => row.getAttribute('data-layer')).sort()) === JSON.stringify(names),
      [...expected].sort(),
      { timeout: 5000 },
    ).catch(async () => {
      throw new Error(`expected layers ${JSON.stringify(expected)}, the page shows ${JSON.stringify(await shownLayers(page))}`);
    });
  }

  for (const mode of ['api', 'static'] as const) {
    test(`${mode}: pick a region and runtime, filter by name, copy an ARN, see a deprecated version's expiry`, async () => {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
      await page.goto(`${mode === 'api' ? api.url : staticSite.url}/`);

      // The controls are labelled: they are found by their label text, as a screen reader announces them.
      const region = page.getByLabel('Region');
      await page.waitForFunction(() => !document.getElementById('region').disabled);
      await region.selectOption('eu-west-1');
      await page.getByLabel('Runtime').selectOption('python3.12');
      await expectLayers(page, [PY312_ARM]);
      await page.getByLabel('Runtime').selectOption('provided.al2023');
      await page.getByLabel('Architecture').selectOption('arm64');
      await expectLayers(page, ['lamina-bash']);
      await page.getByLabel('Runtime').selectOption('');
      await page.getByLabel('Architecture').selectOption('');
      await expectLayers(page, ['lamina-bash', PY312_ARM, PY313_X86]);
      await page.getByLabel('Name contains').fill('PY313');
      await expectLayers(page, [PY313_X86]);
      await page.getByLabel('Name contains').fill('bash');
      await expectLayers(page, ['lamina-bash']);
      await expect(page.getByRole('status').first().textContent()).resolves.toContain('1 layer in eu-west-1');

      // Copy with the keyboard: focus the button, press Enter.
      const row = page.locator('#rows tr[data-layer="lamina-bash"]');
      const arn = (await row.locator('code.arn').textContent())!;
      expect(arn).toMatch(/^arn:aws:lambda:eu-west-1:\d{12}:layer:lamina-bash:2$/);
      await row.getByRole('button', { name: /Copy ARN of lamina-bash version 2 in eu-west-1/ }).focus();
      await page.keyboard.press('Enter');
      // The visible (and announced) confirmation comes once the clipboard write has resolved.
      await page.waitForFunction((expected) => document.getElementById('copied').textContent === `Copied ${expected}`, arn, { timeout: 5000 });
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(arn);

      // The versions: version 1 is deprecated and says when it will be deleted.
      await row.locator('summary', { hasText: 'Versions' }).click();
      const deprecated = row.locator('li.version.deprecated');
      await deprecated.waitFor({ timeout: 5000 });
      const expiry = new Date(seeded.deprecatedAt.getTime() + 30 * 24 * 3600 * 1000).toISOString();
      await expect(deprecated.textContent()).resolves.toContain(`will be deleted on ${expiry.slice(0, 10)}`);
      expect(await deprecated.locator('time').last().getAttribute('datetime')).toBe(expiry);
      await expect(row.locator('li.version.latest').textContent()).resolves.toContain('Version 2');
      await deprecated.getByRole('button', { name: /Copy ARN/ }).click();
      await page.waitForFunction((expected) => document.getElementById('copied').textContent === `Copied ${expected}`, seeded.bashVersion1.arn, { timeout: 5000 });
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(seeded.bashVersion1.arn);

      // The snippets for the chosen layer: CDK, SAM/CloudFormation, Terraform, the AWS CLI, each with its ARN and copyable.
      await row.locator('summary', { hasText: 'Snippets' }).click();
      for (const snippet of SNIPPETS) {
        const shown = (await row.locator(`pre[data-snippet="${snippet.id}"]`).textContent())!;
        expect(shown).toBe(fillSnippet(snippet.template, { arn, region: 'eu-west-1', name: 'lamina-bash' }));
        expect(shown).toContain(arn);
      }
      await row.getByRole('button', { name: 'Copy the Terraform snippet for lamina-bash in eu-west-1' }).click();
      await page.waitForFunction(() => document.getElementById('copied').textContent === 'Copied the Terraform snippet', undefined, { timeout: 5000 });
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`resource "aws_lambda_function" "my_function" {\n  # ...\n  layers = ["${arn}"]\n}`);

      // Accessibility: axe-core's WCAG 2 A/AA rules (labels, names, contrast...) on the page as it is now, with a
      // version list open. Evaluated through the DevTools protocol, so the page's CSP need not allow it.
      const violations = (await page.evaluate(
        `${axe.source}; axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] } })` +
          `.then((r) => r.violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', ')))`,
      )) as string[];
      expect(violations).toEqual([]);

      // The choice is in the address, so a reload (or a shared link) shows the same listing.
      await page.reload();
      await expectLayers(page, ['lamina-bash']);
      expect(await page.getByLabel('Region').inputValue()).toBe('eu-west-1');


      expect(errors).toEqual([]);
      await page.close();
    });
  }
});
