/**
 * Handler logs: one JSON object per line on Lambda (CloudWatch Logs Insights can query them), one plain line on
 * stderr when LAMINA_LOG_FORMAT=text (the local CLI), nothing when LAMINA_LOG_FORMAT=silent (tests).
 */
export function log(message: string, fields: Record<string, unknown> = {}): void {
  const format = process.env.LAMINA_LOG_FORMAT;
  if (format === 'silent') return;
  if (format === 'text') {
    process.stderr.write(`  ${message}\n`);
    return;
  }
  console.log(JSON.stringify({ level: 'INFO', timestamp: new Date().toISOString(), message, ...fields }));
}
