/**
 * The copyable snippets the page shows for a layer: the version's ARN where infrastructure code wants it. The
 * templates travel to the page in its config, and `fillSnippet` is the page's own filling (see SCRIPT in page.ts),
 * so what a test fills here is what a person copies there.
 */
export interface SnippetTemplate {
  id: 'cdk' | 'sam' | 'terraform' | 'cli';
  label: string;
  template: string;
}

export const SNIPPETS: SnippetTemplate[] = [
  {
    id: 'cdk',
    label: 'CDK (TypeScript)',
    template: "const {id} = lambda.LayerVersion.fromLayerVersionArn(this, '{Id}', '{arn}');\nfn.addLayers({id});",
  },
  {
    id: 'sam',
    label: 'SAM / CloudFormation',
    template: 'Resources:\n  MyFunction:\n    Type: AWS::Serverless::Function  # or AWS::Lambda::Function\n    Properties:\n      Layers:\n        - {arn}',
  },
  {
    id: 'terraform',
    label: 'Terraform',
    template: 'resource "aws_lambda_function" "my_function" {\n  # ...\n  layers = ["{arn}"]\n}',
  },
  {
    id: 'cli',
    label: 'AWS CLI',
    template: '# --layers replaces the function\'s layers: list any others it keeps\naws lambda update-function-configuration --region {region} \\\n  --function-name my-function --layers {arn}',
  },
];

/** `lamina-py312-requests` → `laminaPy312Requests`: a name CDK code can use for the construct and its variable. */
export function identifierOf(layerName: string): string {
  const words = layerName.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const camel = words.map((word, index) => (index === 0 ? word.charAt(0).toLowerCase() : word.charAt(0).toUpperCase()) + word.slice(1)).join('');
  return /^[0-9]/.test(camel) ? `layer${camel}` : camel || 'layer';
}

/** Fills `{arn}`, `{region}`, `{name}`, `{id}` (camelCase) and `{Id}` (PascalCase) of a template. */
export function fillSnippet(template: string, layer: { arn: string; region: string; name: string }): string {
  const id = identifierOf(layer.name);
  const values: Record<string, string> = { arn: layer.arn, region: layer.region, name: layer.name, id, Id: id.charAt(0).toUpperCase() + id.slice(1) };
  return template.replace(/\{(arn|region|name|id|Id)\}/g, (_match, key: string) => values[key]);
}
