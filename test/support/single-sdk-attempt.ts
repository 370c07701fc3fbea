// Imported first by tests that count attempts: the SDK reads AWS_MAX_ATTEMPTS when a client is made, and lamina's
// clients read it once, when functions/aws/endpoints.ts loads. Jest workers share process.env between test files,
// so the setting is undone after the file.
const previous = process.env.AWS_MAX_ATTEMPTS;
process.env.AWS_MAX_ATTEMPTS = '1';
afterAll(() => {
  if (previous === undefined) delete process.env.AWS_MAX_ATTEMPTS;
  else process.env.AWS_MAX_ATTEMPTS = previous;
});
export {};
