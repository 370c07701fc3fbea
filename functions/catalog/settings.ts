import { z } from 'zod';
import { LAMBDA_REGIONS } from '../regions/lambda-regions';
import { notificationsSchema } from '../notices/settings';
import { canonicalJson } from '../shared/canonical-json';
import { scheduleProblem } from './schedule';

/** Who may use a published layer version (AddLayerVersionPermission). */
export const visibilitySchema = z.union([
  z.literal('public').describe('Any AWS account (principal "*")'),
  z.literal('private').describe('Only the publishing account: no permission statement at all'),
  z
    .strictObject({ organization: z.string().regex(/^o-[a-z0-9]{10,32}$/, 'an AWS Organization id looks like o-abcd123456') })
    .describe('Every account of one AWS Organization'),
  z
    .strictObject({ accounts: z.array(z.string().regex(/^\d{12}$/, 'an AWS account id is 12 digits')).min(1).max(100) })
    .describe('A list of AWS account ids'),
]);
export type Visibility = z.infer<typeof visibilitySchema>;

/** The form in which a visibility is recorded on a version and compared (key order never matters). */
export const visibilityKey = (visibility: Visibility) => canonicalJson(visibility);


export const settingsSchema = z.strictObject({
  prefix: z
    .string()
    .regex(/^[a-zA-Z][a-zA-Z0-9_-]{0,39}$/, 'a prefix is 1-40 letters, digits, - or _, starting with a letter')
    .default('lamina')
    .describe('Prefix of every layer name; IAM lets the pipeline publish only layers with this prefix'),
  regions: z
    .union([z.literal('all'), z.array(z.enum(LAMBDA_REGIONS)).min(1)])
    .default('all')
    .describe('"all" (every commercial region where Lambda runs) or a list of region names'),
  visibility: visibilitySchema.default('public'),
  expiryDays: z
    .number()
    .int()
    .min(0)
    .max(3650)
    .default(30)
    .describe('Days a superseded version stays before it is deleted (0: deleted at the next run)'),
  audit: z
    .strictObject({
      share: z.number().min(0).max(1).default(0.1).describe("Share of each region's layers whose content and policy are read from Lambda on every run"),
      atLeast: z.number().int().min(0).max(100_000).default(100).describe('At least this many per region (all of them when there are fewer)'),
    })
    .default({ share: 0.1, atLeast: 100 })
    .describe('The rotating audit: what looks right in ListLayers and the table is still checked, oldest check first'),
  schedule: z
    .string()
    .superRefine((value, ctx) => {
      const problem = scheduleProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .default('rate(1 day)')
    .describe('When the deployed pipeline runs by itself: an EventBridge rate(1 day), rate(6 hours) or cron(0 3 * * ? *)'),
  pythonIndexUrl: z.url().optional().describe('Python package index (Simple API) for python entries; PyPI when unset'),
  nodeDistUrl: z.url().optional().describe('Node.js distribution site for node-runtime entries with source dist'),
  npmRegistryUrl: z.url().optional().describe('npm registry for node-runtime entries with source npm'),
  publishUnverified: z
    .boolean()
    .optional()
    .describe(
      'Whether a layer that could not be verified on its runtime and architecture (no matching interpreter or emulator) may be published. Unset: yes for local runs (with a warning), no on AWS. A layer that fails verification is never published.',
    ),
  notifications: notificationsSchema,
  unhealthyAfterRuns: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(3)
    .describe(
      'Runs in a row whose publishes to a region fail for a service reason before the region is marked unhealthy: then each run tries it once (not with every retry), and backfills it when it answers',
    ),
});
export type Settings = z.infer<typeof settingsSchema>;
