import { LayerNotVerified, LayerVerificationFailed, publishDecision } from '../../functions/verify/verify';
import type { Verification } from '../../schema/table';

const at = '2026-01-01T00:00:00.000Z';
const verified: Verification = { runtime: 'python3.11', architecture: 'x86_64', status: 'verified', where: 'local', how: 'python3.11', at, summary: 'imported 2 modules' };
const failed: Verification = { runtime: 'python3.12', architecture: 'arm64', status: 'failed', where: 'aws', how: 'AWS_Lambda_python3.12', at, subject: 'module broken', error: 'ZeroDivisionError: division by zero' };
const unverifiedLocal: Verification = { runtime: 'python3.13', architecture: 'arm64', status: 'not verified', where: 'local', how: 'no environment', at, reason: 'no arm64 Python' };
const unverifiedAws: Verification = { ...unverifiedLocal, where: 'aws' };

describe('whether a verified layer may be published', () => {
  test('all verified: published, no warning', () => {
    expect(publishDecision('lamina-x', [verified])).toEqual({ warnings: [] });
  });

  test('a failure is never published, and the message names what failed, where, and the error', () => {
    const decide = () => publishDecision('lamina-x', [verified, failed, unverifiedLocal], true);
    expect(decide).toThrow(LayerVerificationFailed);
    expect(decide).toThrow(/lamina-x failed verification, nothing was published: python3\.12 arm64: failed .*module broken: ZeroDivisionError: division by zero/);
  });

  test('not verified locally: published with a warning by default, refused when the catalog says no', () => {
    expect(publishDecision('lamina-x', [verified, unverifiedLocal]).warnings).toEqual([
      'lamina-x is published NOT VERIFIED on python3.13 arm64: not verified: no arm64 Python',
    ]);
    expect(() => publishDecision('lamina-x', [unverifiedLocal], false)).toThrow(LayerNotVerified);
  });

  test('not verified on AWS: refused by default, allowed when the catalog says so', () => {
    expect(() => publishDecision('lamina-x', [unverifiedAws])).toThrow(/could not be verified and settings\.publishUnverified does not allow/);
    expect(publishDecision('lamina-x', [unverifiedAws], true).warnings).toHaveLength(1);
  });
});
