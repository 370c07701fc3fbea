import { Annotations, Aws, Duration, Fn, RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ARTIFACT_PREFIXES } from './artifact-bucket';

/** Requests a second the listing API takes (steady, burst) before API Gateway answers 429. */
export const API_THROTTLE = { rateLimit: 100, burstLimit: 200 } as const;
/** Concurrent executions reserved for (and capping) the listing function, so a flood can never starve Build and Publish. */
export const API_RESERVED_CONCURRENCY = 20;

export interface PublicListingProps {
  apiFunction: lambda.Function;
  bucket: s3.IBucket;
}

/**
 * The deployed listing, production-grade: the HTTP API (GET, HEAD, OPTIONS routed; CORS for GET from any origin;
 * throttled; access logs), the API function's reserved concurrency, a cursor-signing secret generated per
 * deployment, and a CloudFront distribution in front of the API and the static export (`/listing/*` from the
 * artifact bucket through origin access control), caching by the origin's Cache-Control, compressing, HTTPS only,
 * with standard access logs.
 */
export class PublicListing extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly distribution: cloudfront.Distribution;
  readonly cursorSecret: secretsmanager.Secret;
  readonly accessLogs: logs.LogGroup;
  readonly logBucket: s3.Bucket;
  /** The distribution's address, ending in `/`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: PublicListingProps) {
    super(scope, id);
    const { apiFunction, bucket } = props;

    // Cursors are signed with a secret of this deployment, not with anything a reader can guess.
    this.cursorSecret = new secretsmanager.Secret(this, 'CursorSecret', {
      description: 'lamina: HMAC key of the listing API\'s pagination cursors',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    // Resolved by CloudFormation at deploy time into the function's environment: no Secrets Manager call per cold start.
    apiFunction.addEnvironment('LAMINA_CURSOR_SECRET', SecretValue.secretsManager(this.cursorSecret.secretArn).unsafeUnwrap());
    const cfnFunction = apiFunction.node.defaultChild as lambda.CfnFunction;
    cfnFunction.reservedConcurrentExecutions = API_RESERVED_CONCURRENCY;

    const methods = [apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.HEAD, apigwv2.CorsHttpMethod.OPTIONS];
    this.api = new apigwv2.HttpApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-listing`,
      description: 'lamina: the read-only listing of published layers',
      corsPreflight: {
        allowOrigins: ['*'],
        allowMethods: methods,
        allowHeaders: ['accept', 'if-none-match'],
        exposeHeaders: ['etag', 'link', 'x-next-cursor', 'content-disposition'],
        maxAge: Duration.days(1),
      },
    });
    const integration = new HttpLambdaIntegration('Integration', apiFunction, { payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0 });
    for (const path of ['/', '/v1/{proxy+}']) {
      this.api.addRoutes({ path, methods: [apigwv2.HttpMethod.GET, apigwv2.HttpMethod.HEAD, apigwv2.HttpMethod.OPTIONS], integration });
    }
    this.accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    const stage = this.api.defaultStage!.node.defaultChild as apigwv2.CfnStage;
    stage.defaultRouteSettings = { throttlingRateLimit: API_THROTTLE.rateLimit, throttlingBurstLimit: API_THROTTLE.burstLimit };
    stage.accessLogSettings = {
      destinationArn: this.accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        time: '$context.requestTime',
        method: '$context.httpMethod',
        path: '$context.path',
        status: '$context.status',
        bytes: '$context.responseLength',
        latencyMs: '$context.responseLatency',
        userAgent: '$context.identity.userAgent',
      }),
    };

    // CloudFront's standard logs need a bucket with ACLs (the log delivery writes with them).
    this.logBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // TTLs of 0 by default: the origin's Cache-Control (60 s listings, 300 s page, immutable SBOMs) decides.
    const cachePolicy = new cloudfront.CachePolicy(this, 'ByCacheControl', {
      comment: 'lamina: cache as the origin\'s Cache-Control says; the query and Accept make the key',
      defaultTtl: Duration.seconds(0),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.days(365),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      headerBehavior: cloudfront.CacheHeaderBehavior.allowList('accept'),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    const apiDomain = Fn.select(2, Fn.split('/', this.api.apiEndpoint));
    // Through a reference, so that CDK's own grant (the whole bucket) is not added: the policy below names listing/* only.
    const exportBucket = s3.Bucket.fromBucketAttributes(this, 'StaticExport', {
      bucketArn: bucket.bucketArn,
      bucketName: bucket.bucketName,
      bucketRegionalDomainName: bucket.bucketRegionalDomainName,
    });
    const staticOrigin = origins.S3BucketOrigin.withOriginAccessControl(exportBucket);
    // Deliberate: the statement below is that policy, scoped to listing/*.
    Annotations.of(this).acknowledgeWarning('@aws-cdk/aws-cloudfront-origins:updateImportedBucketPolicyOac', 'the bucket policy for CloudFront is added below, for listing/* only');
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'lamina: the listing API and its static export',
      defaultBehavior: {
        origin: new origins.HttpOrigin(apiDomain, { protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
        cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD_OPTIONS,
        compress: true,
        cachePolicy,
        // API Gateway answers only for its own Host: forward everything else the viewer sent.
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.CORS_ALLOW_ALL_ORIGINS,
      },
      additionalBehaviors: {
        [`/${ARTIFACT_PREFIXES.listing}*`]: {
          origin: staticOrigin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
          cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD_OPTIONS,
          compress: true,
          cachePolicy,
          responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.CORS_ALLOW_ALL_ORIGINS,
        },
      },
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
    });
    // CloudFront may read the static export, and nothing else of the artifact bucket.
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.ALLOW,
        principals: [new iam.ServicePrincipal('cloudfront.amazonaws.com')],
        actions: ['s3:GetObject'],
        resources: [bucket.arnForObjects(`${ARTIFACT_PREFIXES.listing}*`)],
        conditions: {
          StringEquals: { 'AWS:SourceArn': `arn:${Aws.PARTITION}:cloudfront::${Aws.ACCOUNT_ID}:distribution/${this.distribution.distributionId}` },
        },
      }),
    );
    this.url = `https://${this.distribution.distributionDomainName}/`;
  }
}
