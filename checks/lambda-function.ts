import {
  GetFunctionCommand,
  ResourceNotFoundException,
  type GetFunctionCommandOutput,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { resolveTarget } from '../lib/config.ts';
import { problem } from './kit.ts';

/** GetFunction, or a failed verification that names the step creating the function. */
export async function getFunction(lambda: LambdaClient, name: string, step: number): Promise<GetFunctionCommandOutput> {
  try {
    return await lambda.send(new GetFunctionCommand({ FunctionName: name }));
  } catch (err) {
    if (err instanceof ResourceNotFoundException) {
      problem(`there is no function named ${name} on ${resolveTarget().label}.`, `create it: \`npm run step:${step}\`.`);
    }
    throw err;
  }
}
