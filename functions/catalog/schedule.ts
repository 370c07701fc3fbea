import cronValidate from 'cron-validate';
// aws-cron-parser ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const awsCron = require('aws-cron-parser') as { parse(expression: string): unknown; next(cron: unknown, from: Date): Date | null };

/**
 * EventBridge schedule expressions, exactly as EventBridge takes them: `rate(value unit)` and the six-field
 * `cron(minutes hours day-of-month month day-of-week year)`. The one module that validates a schedule (the catalog,
 * and the local schedule of `lamina serve`) and computes its next runs.
 *
 * cron: cron-validate's `aws-cloud-watch` preset knows EventBridge's fields (`?`, `L`, `W`, `#`, years, one of the
 * two day fields blank); aws-cron-parser accepts garbage, so it only computes next run times of a valid expression.
 * rate: no library knows it; the grammar is EventBridge's: a positive whole number, then `minute`, `hour` or `day`,
 * singular exactly when the value is 1.
 */
export type Schedule = { kind: 'rate'; value: number; unit: 'minute' | 'hour' | 'day' } | { kind: 'cron'; fields: string };

const RATE = /^rate\(([1-9][0-9]*) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.*)\)$/;
const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

export class ScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

/** Parses a schedule expression; throws ScheduleError saying what is wrong and what EventBridge takes. */
export function parseSchedule(expression: string): Schedule {
  if (expression.startsWith('rate(')) {
    const match = RATE.exec(expression);
    if (!match) {
      throw new ScheduleError(
        `${JSON.stringify(expression)} is not an EventBridge rate: write rate(<whole number ≥ 1> <minute|minutes|hour|hours|day|days>), e.g. rate(1 day) or rate(6 hours)`,
      );
    }
    const value = Number(match[1]);
    const unit = match[2].replace(/s$/, '') as 'minute' | 'hour' | 'day';
    const plural = match[2].endsWith('s');
    if (value === 1 && plural) throw new ScheduleError(`${JSON.stringify(expression)}: EventBridge wants the singular for 1: rate(1 ${unit})`);
    if (value !== 1 && !plural) throw new ScheduleError(`${JSON.stringify(expression)}: EventBridge wants the plural for ${value}: rate(${value} ${unit}s)`);
    return { kind: 'rate', value, unit };
  }
  const cron = CRON.exec(expression);
  if (cron) {
    const fields = cron[1];
    if (fields.trim().split(/\s+/).length !== 6 || fields !== fields.trim().replace(/\s+/g, ' ')) {
      throw new ScheduleError(
        `${JSON.stringify(expression)}: an EventBridge cron has six fields separated by single spaces: cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 3 * * ? *)`,
      );
    }
    const result = cronValidate(fields, { preset: 'aws-cloud-watch' });
    if (!result.isValid()) {
      const errors = [
        ...new Set(
          result
            .getError()
            .map((error) => error.replace(/ \(Input cron: .*\)$/, '').replace(/\.$/, ''))
            .map((error) => (/mustHaveBlankDayField/.test(error) ? 'one of day-of-month and day-of-week must be ?' : error)),
        ),
      ];
      throw new ScheduleError(`${JSON.stringify(expression)} is not a valid EventBridge cron: ${errors.join('; ')}`);
    }
    return { kind: 'cron', fields };
  }
  throw new ScheduleError(`${JSON.stringify(expression)} is not an EventBridge schedule: write rate(1 day), rate(6 hours) or cron(0 3 * * ? *)`);
}

/** What is wrong with a schedule expression, or undefined when EventBridge takes it. */
export function scheduleProblem(expression: string): string | undefined {
  try {
    parseSchedule(expression);
    return undefined;
  } catch (error) {
    if (error instanceof ScheduleError) return error.message;
    throw error;
  }
}

/**
 * The next `count` run times after `from`, in UTC (EventBridge's cron is UTC). A rate counts from `from` itself:
 * EventBridge counts it from when the rule was created, which a caller passes as `from`.
 */
export function nextRuns(expression: string, from: Date, count = 1): Date[] {
  const schedule = parseSchedule(expression);
  const runs: Date[] = [];
  if (schedule.kind === 'rate') {
    const step = schedule.value * UNIT_MS[schedule.unit];
    for (let index = 1; index <= count; index++) runs.push(new Date(from.getTime() + index * step));
    return runs;
  }
  const cron = awsCron.parse(schedule.fields);
  let cursor = from;
  while (runs.length < count) {
    const next = awsCron.next(cron, new Date(cursor.getTime() + 1000));
    if (!next) break;
    runs.push(next);
    cursor = next;
  }
  return runs;
}
