/**
 * The REST API (v1) model as the control plane stores it. Field names are AWS's wire names,
 * so a record can be answered as is (minus what a given operation leaves out).
 */

export interface RestApiRecord {
  id: string;
  name: string;
  description?: string;
  version?: string;
  /** Epoch seconds, as the REST-JSON wire carries timestamps. */
  createdDate: number;
  apiKeySource: string;
  binaryMediaTypes?: string[];
  minimumCompressionSize?: number;
  disableExecuteApiEndpoint: boolean;
  endpointConfiguration: { types: string[]; ipAddressType: string };
  rootResourceId: string;
  tags?: Record<string, string>;
}

export interface ResourceRecord {
  id: string;
  /** Absent on the root resource "/". */
  parentId?: string;
  pathPart?: string;
  path: string;
  /** By HTTP method (GET, POST, ..., ANY). */
  methods: Record<string, MethodRecord>;
}

export interface MethodRecord {
  httpMethod: string;
  authorizationType: string;
  authorizerId?: string;
  apiKeyRequired: boolean;
  operationName?: string;
  requestParameters?: Record<string, boolean>;
  requestModels?: Record<string, string>;
  methodResponses?: Record<string, MethodResponseRecord>;
  methodIntegration?: IntegrationRecord;
}

export interface MethodResponseRecord {
  statusCode: string;
  responseParameters?: Record<string, boolean>;
  responseModels?: Record<string, string>;
}

export interface IntegrationRecord {
  type: string;
  /** The method API Gateway uses to call the backend (the SDK's integrationHttpMethod). */
  httpMethod?: string;
  uri?: string;
  connectionType?: string;
  credentials?: string;
  requestParameters?: Record<string, string>;
  requestTemplates?: Record<string, string>;
  passthroughBehavior: string;
  contentHandling?: string;
  timeoutInMillis: number;
  cacheNamespace: string;
  cacheKeyParameters: string[];
  integrationResponses?: Record<string, IntegrationResponseRecord>;
}

export interface IntegrationResponseRecord {
  statusCode: string;
  selectionPattern?: string;
  responseParameters?: Record<string, string>;
  responseTemplates?: Record<string, string>;
  contentHandling?: string;
}

export interface DeploymentRecord {
  id: string;
  description?: string;
  createdDate: number;
  /** What the deployment froze: the resource tree with methods and integrations at that moment. */
  snapshot: DeployedApi;
}

/** A deployed copy of an API's routes; execute-api serves only from these. */
export interface DeployedApi {
  binaryMediaTypes: string[];
  resources: ResourceRecord[];
}

export interface MethodSettingRecord {
  metricsEnabled: boolean;
  loggingLevel?: string;
  dataTraceEnabled: boolean;
  throttlingBurstLimit: number;
  throttlingRateLimit: number;
  cachingEnabled: boolean;
  cacheTtlInSeconds: number;
  cacheDataEncrypted: boolean;
  requireAuthorizationForCacheControl: boolean;
  unauthorizedCacheControlHeaderStrategy: string;
}

export interface StageRecord {
  stageName: string;
  deploymentId: string;
  description?: string;
  cacheClusterEnabled: boolean;
  cacheClusterStatus: string;
  cacheClusterSize?: string;
  /** Keyed "*\/*" or "resource/path/METHOD" (the resource path without its leading slash). */
  methodSettings: Record<string, MethodSettingRecord>;
  variables?: Record<string, string>;
  documentationVersion?: string;
  tracingEnabled: boolean;
  tags?: Record<string, string>;
  createdDate: number;
  lastUpdatedDate: number;
}

/** Everything one REST API owns; persisted as one document. */
export interface ApiState {
  api: RestApiRecord;
  resources: ResourceRecord[];
  deployments: DeploymentRecord[];
  stages: StageRecord[];
}

export const HTTP_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'ANY'];

/** AWS's account-level defaults, which a stage's method settings start from. */
export const DEFAULT_RATE_LIMIT = 10000;
export const DEFAULT_BURST_LIMIT = 5000;

export function defaultMethodSetting(): MethodSettingRecord {
  return {
    metricsEnabled: false,
    dataTraceEnabled: false,
    throttlingBurstLimit: DEFAULT_BURST_LIMIT,
    throttlingRateLimit: DEFAULT_RATE_LIMIT,
    cachingEnabled: false,
    cacheTtlInSeconds: 300,
    cacheDataEncrypted: false,
    requireAuthorizationForCacheControl: true,
    unauthorizedCacheControlHeaderStrategy: 'SUCCEED_WITH_RESPONSE_HEADER',
  };
}
