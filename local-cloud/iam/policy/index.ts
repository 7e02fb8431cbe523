/** The IAM policy language: document checking, evaluation, and AWS-worded denials. Pure, no I/O. */
export { evaluate, type PolicyInput } from './evaluate.ts';
export { denialMessage, type DenialInput } from './denial.ts';
export { parsePolicyDocument, PolicyDocumentError, MESSAGES, type DocumentKind, type DocumentOptions } from './document.ts';
export { normalizePolicy } from './normalize.ts';
export { wildcardMatch, actionMatches, resourceMatches, arnMatches } from './wildcard.ts';
export type * from './types.ts';
