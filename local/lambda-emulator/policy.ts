/** One AddLayerVersionPermission grant, as stored. */
export interface PolicyStatementRecord {
  sid: string;
  action: string;
  principal: string;
  organizationId?: string;
}

/** A layer version's resource-based policy, as stored. */
export interface LayerPolicyRecord {
  revisionId: string;
  statements: PolicyStatementRecord[];
}

/** The IAM statement Lambda renders for a grant: an account id becomes its root ARN, `*` stays `*`. */
export function renderStatement(statement: PolicyStatementRecord, resourceArn: string): Record<string, unknown> {
  const principal = /^\d{12}$/.test(statement.principal)
    ? { AWS: `arn:aws:iam::${statement.principal}:root` }
    : statement.principal.startsWith('arn:')
      ? { AWS: statement.principal }
      : statement.principal;
  const rendered: Record<string, unknown> = {
    Sid: statement.sid,
    Effect: 'Allow',
    Principal: principal,
    Action: statement.action,
    Resource: resourceArn,
  };
  if (statement.organizationId) {
    rendered.Condition = { StringEquals: { 'aws:PrincipalOrgID': statement.organizationId } };
  }
  return rendered;
}

/** The policy document GetLayerVersionPolicy returns (as a JSON string). */
export function renderPolicy(policy: LayerPolicyRecord, resourceArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Id: 'default',
    Statement: policy.statements.map((statement) => renderStatement(statement, resourceArn)),
  });
}
