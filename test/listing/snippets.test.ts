import { SNIPPETS, fillSnippet, identifierOf } from '../../functions/listing/snippets';

const layer = { arn: 'arn:aws:lambda:eu-west-1:123456789012:layer:lamina-py312-arm64-requests:7', region: 'eu-west-1', name: 'lamina-py312-arm64-requests' };

describe('layer snippets', () => {
  it('offers CDK, SAM/CloudFormation, Terraform and the AWS CLI', () => {
    expect(SNIPPETS.map((snippet) => snippet.id)).toEqual(['cdk', 'sam', 'terraform', 'cli']);
  });

  it('fills each with the version ARN, the region and a usable identifier', () => {
    const filled = Object.fromEntries(SNIPPETS.map((snippet) => [snippet.id, fillSnippet(snippet.template, layer)]));
    expect(filled.cdk).toBe(
      `const laminaPy312Arm64Requests = lambda.LayerVersion.fromLayerVersionArn(this, 'LaminaPy312Arm64Requests', '${layer.arn}');\nfn.addLayers(laminaPy312Arm64Requests);`,
    );
    expect(filled.sam).toContain(`      Layers:\n        - ${layer.arn}`);
    expect(filled.terraform).toContain(`layers = ["${layer.arn}"]`);
    expect(filled.cli).toContain(`aws lambda update-function-configuration --region eu-west-1 \\\n  --function-name my-function --layers ${layer.arn}`);
    for (const text of Object.values(filled)) expect(text).not.toMatch(/\{(arn|region|name|id|Id)\}/);
  });

  it('makes identifiers from any layer name', () => {
    expect(identifierOf('lamina-bash')).toBe('laminaBash');
    expect(identifierOf('9lives_layer')).toBe('layer9livesLayer');
  });
});
