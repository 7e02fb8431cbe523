/**
 * What execute-api needs from Lambda: invoke a function as the API Gateway service principal,
 * with the SourceArn of the call, so the function's resource policy decides whether
 * API Gateway may invoke it.
 */
export interface ProxyTarget {
  invoke(functionArn: string, event: unknown, call: ProxyCall): Promise<ProxyOutcome>;
}

export interface ProxyCall {
  principal: 'apigateway.amazonaws.com';
  /** arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/RESOURCE_PATH */
  sourceArn: string;
  sourceAccount: string;
  /** The integration's execution role, when it names one instead of relying on the resource policy. */
  credentials?: string;
}

export type ProxyOutcome =
  /** The function ran; `functionError` is set when it failed (Unhandled, or a Sandbox.Timedout). */
  | { kind: 'invoked'; payload: Buffer; functionError?: string }
  /**
   * Not allowed: the function's resource policy does not let this principal and SourceArn invoke
   * it (or, with credentials, the role does not). `reason` is for the execution log.
   */
  | { kind: 'denied'; reason?: string }
  | { kind: 'not-found' };

