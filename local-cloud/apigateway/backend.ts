import { dict, own } from '../core/dict.ts';
import { checkStageVariableNames } from './stage-patch.ts';
import type { Cloud } from '../cloud.ts';
import { IntervalQuota } from '../realism/interval-quota.ts';
import { SERVICE_TIMING } from '../realism/service-timing.ts';
import { apigatewayErrors as errors } from './errors.ts';
import { newId } from './ids.ts';
import { INTEGRATION_TYPES, validateIntegrationUri } from './integration-uri.ts';
import { applyStagePatch, type PatchOperation } from './stage-patch.ts';
import type { ProxyTarget } from './proxy-target.ts';
import { lambdaProxyTarget } from './lambda-target.ts';
import {
  HTTP_METHODS,
  type ApiState,
  type DeployedApi,
  type DeploymentRecord,
  type IntegrationRecord,
  type IntegrationResponseRecord,
  type MethodRecord,
  type MethodResponseRecord,
  type ResourceRecord,
  type RestApiRecord,
  type StageRecord,
} from './model.ts';

const STORE_PREFIX = 'apigateway/apis';
const PATH_PART = /^([A-Za-z0-9._-]+|\{[A-Za-z0-9._-]+\+?\})$/;
const ENDPOINT_TYPES = ['EDGE', 'REGIONAL', 'PRIVATE'];

export interface CreateRestApiInput {
  name?: string;
  description?: string;
  version?: string;
  binaryMediaTypes?: string[];
  minimumCompressionSize?: number;
  apiKeySource?: string;
  endpointConfiguration?: { types?: string[]; ipAddressType?: string };
  tags?: Record<string, string>;
  disableExecuteApiEndpoint?: boolean;
}

export interface PutMethodInput {
  authorizationType?: string;
  authorizerId?: string;
  apiKeyRequired?: boolean;
  operationName?: string;
  requestParameters?: Record<string, boolean>;
  requestModels?: Record<string, string>;
}

export interface PutIntegrationInput {
  type?: string;
  /** The SDK's integrationHttpMethod (wire name "httpMethod"). */
  httpMethod?: string;
  uri?: string;
  connectionType?: string;
  credentials?: string;
  requestParameters?: Record<string, string>;
  requestTemplates?: Record<string, string>;
  passthroughBehavior?: string;
  contentHandling?: string;
  timeoutInMillis?: number;
  cacheNamespace?: string;
  cacheKeyParameters?: string[];
}

export interface CreateStageInput {
  stageName?: string;
  deploymentId?: string;
  description?: string;
  cacheClusterEnabled?: boolean;
  cacheClusterSize?: string;
  variables?: Record<string, string>;
  documentationVersion?: string;
  tracingEnabled?: boolean;
  tags?: Record<string, string>;
}

export interface CreateDeploymentInput {
  stageName?: string;
  stageDescription?: string;
  description?: string;
  variables?: Record<string, string>;
  tracingEnabled?: boolean;
}

/** What execute-api needs to serve a request: the stage and the deployment it points at. */
export interface DeployedStage {
  api: RestApiRecord;
  stage: StageRecord;
  deployment: DeploymentRecord;
}

/**
 * API Gateway REST (v1) state and behaviour: APIs, their resource trees, methods and
 * integrations, deployments (frozen copies of the routes) and stages. One persisted document
 * per API.
 */
export class ApigatewayBackend {
  private readonly apis = new Map<string, ApiState>();
  /** How execute-api reaches Lambda functions (tests may put a stand-in here). */
  proxyTarget: ProxyTarget;
  /** AWS's fixed per-account quotas, enforced under the realism profile only. */
  private readonly quotas: { createDeployment: IntervalQuota; deleteRestApi: IntervalQuota };

  constructor(readonly cloud: Cloud) {
    this.proxyTarget = lambdaProxyTarget(cloud);
    this.quotas = {
      createDeployment: new IntervalQuota(() => cloud.realism.ms(SERVICE_TIMING.createDeploymentInterval)),
      deleteRestApi: new IntervalQuota(() => cloud.realism.ms(SERVICE_TIMING.deleteRestApiInterval)),
    };
    for (const name of cloud.store.list(STORE_PREFIX)) {
      const state = cloud.store.load<ApiState>(name);
      if (!state) continue;
      this.apis.set(state.api.id, state);
      this.track(state);
    }
  }

  // --- REST APIs ---------------------------------------------------------------------------

  createRestApi(input: CreateRestApiInput): RestApiRecord {
    if (input.name === undefined) throw errors.required('createRestApiInput', 'name');
    if (!input.name) throw errors.nameEmpty();
    if (input.description === '') throw errors.descriptionEmpty();
    const types = input.endpointConfiguration?.types?.length ? input.endpointConfiguration.types : ['EDGE'];
    if (types.some((t) => !ENDPOINT_TYPES.includes(t))) throw errors.endpointTypes();
    if (types.length > 1) throw errors.multipleEndpointTypes();

    const root: ResourceRecord = { id: newId(10), path: '/', methods: {} };
    const api: RestApiRecord = {
      id: this.unusedApiId(),
      name: input.name,
      description: input.description,
      version: input.version,
      createdDate: nowSeconds(),
      apiKeySource: input.apiKeySource ?? 'HEADER',
      binaryMediaTypes: input.binaryMediaTypes?.length ? [...input.binaryMediaTypes] : undefined,
      minimumCompressionSize: input.minimumCompressionSize,
      disableExecuteApiEndpoint: input.disableExecuteApiEndpoint ?? false,
      endpointConfiguration: {
        types: [...types],
        ipAddressType: input.endpointConfiguration?.ipAddressType ?? (types[0] === 'PRIVATE' ? 'dualstack' : 'ipv4'),
      },
      rootResourceId: root.id,
      tags: input.tags && Object.keys(input.tags).length ? { ...input.tags } : undefined,
    };
    const state: ApiState = { api, resources: [root], deployments: [], stages: [] };
    this.apis.set(api.id, state);
    this.track(state);
    this.save(state);
    return api;
  }

  getRestApi(apiId: string): RestApiRecord {
    return this.state(apiId).api;
  }

  getRestApis(): RestApiRecord[] {
    return [...this.apis.values()].map((s) => s.api);
  }

  deleteRestApi(apiId: string): void {
    withinQuota(this.quotas.deleteRestApi);
    this.state(apiId);
    this.apis.delete(apiId);
    this.cloud.store.remove(docName(apiId));
  }

  // --- Resources ---------------------------------------------------------------------------

  getResources(apiId: string): ResourceRecord[] {
    return this.state(apiId).resources;
  }

  getResource(apiId: string, resourceId: string): ResourceRecord {
    return this.resource(this.stateForResource(apiId), resourceId);
  }

  createResource(apiId: string, parentId: string, pathPart: string | undefined): ResourceRecord {
    const state = this.stateForResource(apiId);
    const parent = this.resource(state, parentId);
    if (pathPart === undefined) throw errors.required('createResourceInput', 'pathPart');
    if (!PATH_PART.test(pathPart)) throw errors.invalidPathPart();
    if (parent.pathPart?.endsWith('+}')) throw errors.childOfGreedy(parent.pathPart);
    const siblings = state.resources.filter((r) => r.parentId === parent.id);
    if (siblings.some((r) => r.pathPart === pathPart)) throw errors.siblingExists(pathPart);
    const variableSibling = siblings.find((r) => r.pathPart?.startsWith('{'));
    if (pathPart.startsWith('{') && variableSibling) throw errors.variableSibling(variableSibling.pathPart!);

    const resource: ResourceRecord = {
      id: newId(6),
      parentId: parent.id,
      pathPart,
      path: parent.path === '/' ? `/${pathPart}` : `${parent.path}/${pathPart}`,
      methods: {},
    };
    state.resources.push(resource);
    this.save(state);
    return resource;
  }

  /** Deletes a resource with everything beneath it. */
  deleteResource(apiId: string, resourceId: string): void {
    const state = this.stateForResource(apiId);
    const resource = this.resource(state, resourceId);
    if (resource.id === state.api.rootResourceId) throw errors.deleteRoot();
    const doomed = new Set([resource.id]);
    // Resources are stored parents-first, so one pass collects every descendant.
    for (const r of state.resources) if (r.parentId && doomed.has(r.parentId)) doomed.add(r.id);
    state.resources = state.resources.filter((r) => !doomed.has(r.id));
    this.save(state);
  }

  // --- Methods -----------------------------------------------------------------------------

  putMethod(apiId: string, resourceId: string, httpMethod: string, input: PutMethodInput): MethodRecord {
    const state = this.stateForResource(apiId);
    const resource = this.resource(state, resourceId);
    if (!HTTP_METHODS.includes(httpMethod)) throw errors.invalidHttpMethod();
    if (own(resource.methods, httpMethod)) throw errors.methodExists();
    const authorizationType = input.authorizationType;
    if (authorizationType === undefined) throw errors.required('putMethodInput', 'authorizationType');
    if ((authorizationType === 'CUSTOM' || authorizationType === 'COGNITO_USER_POOLS') && !input.authorizerId) {
      throw errors.authorizerRequired();
    }
    const method: MethodRecord = {
      httpMethod,
      authorizationType,
      authorizerId: input.authorizerId,
      apiKeyRequired: input.apiKeyRequired ?? false,
      operationName: input.operationName,
      requestParameters: nonEmpty(input.requestParameters),
      requestModels: nonEmpty(input.requestModels),
    };
    resource.methods[httpMethod] = method;
    this.save(state);
    return method;
  }

  getMethod(apiId: string, resourceId: string, httpMethod: string): MethodRecord {
    const state = this.stateForResource(apiId);
    return this.method(this.resource(state, resourceId), httpMethod);
  }

  deleteMethod(apiId: string, resourceId: string, httpMethod: string): void {
    const state = this.stateForResource(apiId);
    const resource = this.resource(state, resourceId);
    this.method(resource, httpMethod);
    delete resource.methods[httpMethod];
    this.save(state);
  }

  putMethodResponse(
    apiId: string,
    resourceId: string,
    httpMethod: string,
    statusCode: string,
    input: { responseParameters?: Record<string, boolean>; responseModels?: Record<string, string> },
  ): MethodResponseRecord {
    const state = this.stateForResource(apiId);
    const method = this.method(this.resource(state, resourceId), httpMethod);
    checkStatusCode(statusCode);
    const response: MethodResponseRecord = {
      statusCode,
      responseParameters: nonEmpty(input.responseParameters),
      responseModels: nonEmpty(input.responseModels),
    };
    (method.methodResponses ??= {})[statusCode] = response;
    this.save(state);
    return response;
  }

  getMethodResponse(apiId: string, resourceId: string, httpMethod: string, statusCode: string): MethodResponseRecord {
    const method = this.getMethod(apiId, resourceId, httpMethod);
    const response = method.methodResponses?.[statusCode];
    if (!response) throw errors.responseNotFound();
    return response;
  }

  // --- Integrations ------------------------------------------------------------------------

  putIntegration(apiId: string, resourceId: string, httpMethod: string, input: PutIntegrationInput): IntegrationRecord {
    const state = this.stateForResource(apiId);
    const resource = this.resource(state, resourceId);
    const method = this.method(resource, httpMethod);
    const type = input.type;
    if (type === undefined) throw errors.required('putIntegrationInput', 'type');
    if (!INTEGRATION_TYPES.includes(type)) throw errors.integrationType(type);
    if (type !== 'MOCK' && !input.httpMethod) throw errors.integrationHttpMethodRequired();
    validateIntegrationUri(type, input.uri);
    const isHttp = type === 'HTTP' || type === 'HTTP_PROXY';
    // A non-POST integration method is accepted here (as AWS does); calls then fail with 500.
    const integration: IntegrationRecord = {
      type,
      httpMethod: type === 'MOCK' ? undefined : input.httpMethod,
      uri: type === 'MOCK' ? undefined : input.uri,
      connectionType: isHttp ? (input.connectionType ?? 'INTERNET') : input.connectionType,
      credentials: input.credentials,
      requestParameters: nonEmpty(input.requestParameters),
      requestTemplates: nonEmpty(input.requestTemplates),
      passthroughBehavior: input.passthroughBehavior ?? 'WHEN_NO_MATCH',
      contentHandling: input.contentHandling,
      timeoutInMillis: input.timeoutInMillis ?? 29000,
      cacheNamespace: input.cacheNamespace ?? resource.id,
      cacheKeyParameters: input.cacheKeyParameters ?? [],
    };
    method.methodIntegration = integration;
    this.save(state);
    return integration;
  }

  getIntegration(apiId: string, resourceId: string, httpMethod: string): IntegrationRecord {
    const integration = this.getMethod(apiId, resourceId, httpMethod).methodIntegration;
    if (!integration) throw errors.integrationNotFound();
    return integration;
  }

  deleteIntegration(apiId: string, resourceId: string, httpMethod: string): void {
    const method = this.getMethod(apiId, resourceId, httpMethod);
    if (!method.methodIntegration) throw errors.integrationNotFound();
    delete method.methodIntegration;
    this.save(this.state(apiId));
  }

  putIntegrationResponse(
    apiId: string,
    resourceId: string,
    httpMethod: string,
    statusCode: string,
    input: Omit<IntegrationResponseRecord, 'statusCode'>,
  ): IntegrationResponseRecord {
    const method = this.getMethod(apiId, resourceId, httpMethod);
    checkStatusCode(statusCode);
    if (!method.methodIntegration) throw errors.integrationNotFound();
    if (!method.methodResponses?.[statusCode]) throw errors.responseNotFound();
    const response: IntegrationResponseRecord = {
      statusCode,
      selectionPattern: input.selectionPattern,
      responseParameters: nonEmpty(input.responseParameters),
      responseTemplates: input.responseTemplates,
      contentHandling: input.contentHandling,
    };
    (method.methodIntegration.integrationResponses ??= {})[statusCode] = response;
    this.save(this.state(apiId));
    return response;
  }

  getIntegrationResponse(
    apiId: string,
    resourceId: string,
    httpMethod: string,
    statusCode: string,
  ): IntegrationResponseRecord {
    const response = this.getIntegration(apiId, resourceId, httpMethod).integrationResponses?.[statusCode];
    if (!response) throw errors.responseNotFound();
    return response;
  }

  // --- Deployments -------------------------------------------------------------------------

  createDeployment(apiId: string, input: CreateDeploymentInput): DeploymentRecord {
    withinQuota(this.quotas.createDeployment);
    const state = this.state(apiId);
    const methods = state.resources.flatMap((r) => Object.values(r.methods));
    if (methods.length === 0) throw errors.noMethods();
    if (methods.some((m) => !m.methodIntegration)) throw errors.noIntegration();

    const deployment: DeploymentRecord = {
      id: newId(6),
      description: input.description || undefined,
      createdDate: nowSeconds(),
      snapshot: freeze(state),
    };
    state.deployments.push(deployment);
    if (input.stageName) {
      const stage = state.stages.find((s) => s.stageName === input.stageName);
      if (stage) {
        stage.deploymentId = deployment.id;
        if (input.variables) stage.variables = dict({ ...stage.variables, ...checkedVariables(input.variables) });
        stage.lastUpdatedDate = nowSeconds();
      } else {
        state.stages.push(
          newStage({
            stageName: input.stageName,
            deploymentId: deployment.id,
            description: input.stageDescription,
            variables: input.variables,
            tracingEnabled: input.tracingEnabled,
          }),
        );
      }
    }
    this.save(state);
    return deployment;
  }

  getDeployment(apiId: string, deploymentId: string): DeploymentRecord {
    const deployment = this.state(apiId).deployments.find((d) => d.id === deploymentId);
    if (!deployment) throw errors.deploymentNotFound();
    return deployment;
  }

  getDeployments(apiId: string): DeploymentRecord[] {
    return this.state(apiId).deployments;
  }

  deleteDeployment(apiId: string, deploymentId: string): void {
    const state = this.state(apiId);
    this.getDeployment(apiId, deploymentId);
    if (state.stages.some((s) => s.deploymentId === deploymentId)) throw errors.deploymentInUse();
    state.deployments = state.deployments.filter((d) => d.id !== deploymentId);
    this.save(state);
  }

  // --- Stages ------------------------------------------------------------------------------

  createStage(apiId: string, input: CreateStageInput): StageRecord {
    const state = this.state(apiId);
    if (!input.stageName) throw errors.required('createStageInput', 'stageName');
    if (!input.deploymentId) throw errors.required('createStageInput', 'deploymentId');
    if (!state.deployments.some((d) => d.id === input.deploymentId)) throw errors.deploymentNotFound();
    if (state.stages.some((s) => s.stageName === input.stageName)) throw errors.stageExists();
    const stage = newStage(input as CreateStageInput & { stageName: string; deploymentId: string });
    state.stages.push(stage);
    this.save(state);
    return stage;
  }

  getStage(apiId: string, stageName: string): StageRecord {
    const stage = this.state(apiId).stages.find((s) => s.stageName === stageName);
    if (!stage) throw errors.stageNotFound();
    return stage;
  }

  getStages(apiId: string, deploymentId?: string): StageRecord[] {
    const stages = this.state(apiId).stages;
    return deploymentId ? stages.filter((s) => s.deploymentId === deploymentId) : stages;
  }

  updateStage(apiId: string, stageName: string, operations: PatchOperation[]): StageRecord {
    const state = this.state(apiId);
    const stage = this.getStage(apiId, stageName);
    // Patch a copy, so a bad operation late in the list leaves the stage untouched.
    const patched = structuredClone(stage);
    applyStagePatch(patched, operations, (id) => state.deployments.some((d) => d.id === id));
    patched.lastUpdatedDate = nowSeconds();
    Object.assign(stage, patched);
    this.save(state);
    return stage;
  }

  deleteStage(apiId: string, stageName: string): void {
    const state = this.state(apiId);
    this.getStage(apiId, stageName);
    state.stages = state.stages.filter((s) => s.stageName !== stageName);
    this.save(state);
  }

  // --- Tags --------------------------------------------------------------------------------

  /** Tags live on REST APIs and stages: arn:aws:apigateway:REGION::/restapis/ID[/stages/NAME]. */
  tagResource(arn: string, tags: Record<string, string>): void {
    const { owner, state } = this.taggable(arn);
    owner.tags = { ...owner.tags, ...tags };
    this.save(state);
  }

  untagResource(arn: string, keys: string[]): void {
    const { owner, state } = this.taggable(arn);
    const remaining = Object.fromEntries(Object.entries(owner.tags ?? {}).filter(([k]) => !keys.includes(k)));
    owner.tags = Object.keys(remaining).length ? remaining : undefined;
    this.save(state);
  }

  getTags(arn: string): Record<string, string> {
    return this.taggable(arn).owner.tags ?? {};
  }

  // --- Data plane --------------------------------------------------------------------------

  /** The deployed stage a call to /restapis/API/STAGE/... is served from, if any. */
  deployedStage(apiId: string, stageName: string): DeployedStage | undefined {
    const state = this.apis.get(apiId);
    const stage = state?.stages.find((s) => s.stageName === stageName);
    const deployment = stage && state!.deployments.find((d) => d.id === stage.deploymentId);
    return deployment ? { api: state!.api, stage: stage!, deployment } : undefined;
  }

  // --- Helpers -----------------------------------------------------------------------------

  private state(apiId: string): ApiState {
    const state = this.apis.get(apiId);
    if (!state) throw errors.apiNotFound(this.cloud.accountId, apiId);
    return state;
  }

  /** Operations addressed to a resource answer an unknown API as an unknown resource, as AWS does. */
  private stateForResource(apiId: string): ApiState {
    const state = this.apis.get(apiId);
    if (!state) throw errors.resourceNotFound();
    return state;
  }

  private resource(state: ApiState, resourceId: string): ResourceRecord {
    const resource = state.resources.find((r) => r.id === resourceId);
    if (!resource) throw errors.resourceNotFound();
    return resource;
  }

  private method(resource: ResourceRecord, httpMethod: string): MethodRecord {
    const method = own(resource.methods, httpMethod);
    if (!method) throw errors.methodNotFound();
    return method;
  }

  private taggable(arn: string): { owner: { tags?: Record<string, string> }; state: ApiState } {
    const match = /^arn:aws[\w-]*:apigateway:[a-z0-9-]*::\/restapis\/([^/]+)(?:\/stages\/([^/]+))?$/.exec(arn);
    if (!match) throw errors.invalidResourceArn(arn);
    const state = this.state(match[1]);
    return { owner: match[2] ? this.getStage(match[1], match[2]) : state.api, state };
  }

  private unusedApiId(): string {
    let id: string;
    do id = newId(10);
    while (this.apis.has(id));
    return id;
  }

  private track(state: ApiState): void {
    this.cloud.store.register(docName(state.api.id), () => state);
  }

  private save(state: ApiState): void {
    this.cloud.store.markDirty(docName(state.api.id));
  }
}

function docName(apiId: string): string {
  return `${STORE_PREFIX}/${apiId}`;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function nonEmpty<T extends object>(value: T | undefined): T | undefined {
  return value && Object.keys(value).length ? { ...value } : undefined;
}

function checkStatusCode(statusCode: string): void {
  if (!/^[1-5]\d\d$/.test(statusCode)) throw errors.invalidStatusCode(statusCode);
}

/** A deep copy of the routes, so later edits stay undeployed until the next deployment. */
function freeze(state: ApiState): DeployedApi {
  return structuredClone({ binaryMediaTypes: state.api.binaryMediaTypes ?? [], resources: state.resources });
}

function newStage(input: CreateStageInput & { stageName: string; deploymentId: string }): StageRecord {
  const now = nowSeconds();
  return {
    stageName: input.stageName,
    deploymentId: input.deploymentId,
    description: input.description || undefined,
    cacheClusterEnabled: input.cacheClusterEnabled ?? false,
    cacheClusterStatus: input.cacheClusterEnabled ? 'AVAILABLE' : 'NOT_AVAILABLE',
    cacheClusterSize: input.cacheClusterEnabled ? (input.cacheClusterSize ?? '0.5') : undefined,
    methodSettings: {},
    variables: input.variables && Object.keys(input.variables).length ? dict(checkedVariables(input.variables)) : undefined,
    documentationVersion: input.documentationVersion,
    tracingEnabled: input.tracingEnabled ?? false,
    tags: input.tags && Object.keys(input.tags).length ? dict(input.tags) : undefined,
    createdDate: now,
    lastUpdatedDate: now,
  };
}

/** Stage variables as given to CreateStage or CreateDeployment, names checked. */
function checkedVariables(variables: Record<string, string>): Record<string, string> {
  checkStageVariableNames(Object.keys(variables));
  return variables;
}

/** Throttled before anything else is looked at, as AWS's front door does. */
function withinQuota(quota: IntervalQuota): void {
  const waitMs = quota.take();
  if (waitMs > 0) throw errors.tooManyRequests(waitMs);
}
