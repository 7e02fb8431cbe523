/**
 * Teardown's event source mappings (step 5): the mappings that feed the workbook's functions
 * (named `<prefix>-…` and tagged workbook=<prefix>). A mapping has no name of its own; it is
 * the workbook's because its function is. Mappings go before functions and queues, so that no
 * poller takes a message while what it feeds is being removed.
 */
import {
  DeleteEventSourceMappingCommand,
  ListEventSourceMappingsCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { retry } from '../lib/wait.ts';
import type { Resource, ResourceKind } from './teardown.ts';
import { ourFunctions } from './teardown-our-functions.ts';

export function eventSourceMappings(lambda: LambdaClient): ResourceKind {
  return {
    kind: 'event source mapping',
    async list(prefix) {
      const found: Resource[] = [];
      for (const functionName of await ourFunctions(lambda, prefix)) {
        let Marker: string | undefined;
        do {
          const page = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: functionName, Marker }));
          for (const mapping of page.EventSourceMappings ?? []) {
            // A mapping being deleted (AWS lists it for a few seconds) is as good as gone.
            if (mapping.State === 'Deleting') continue;
            const source = mapping.EventSourceArn?.slice(mapping.EventSourceArn.lastIndexOf(':') + 1);
            found.push({ kind: 'event source mapping', name: `${source} → ${functionName} (${mapping.UUID})`, id: mapping.UUID! });
          }
          Marker = page.NextMarker;
        } while (Marker);
      }
      return found;
    },
    async remove(mapping) {
      try {
        // A mapping that is still Creating or Updating cannot be deleted yet (ResourceInUseException).
        await retry(() => lambda.send(new DeleteEventSourceMappingCommand({ UUID: mapping.id })), {
          retryable: (err) => err instanceof ResourceInUseException,
          deadlineMs: 60_000,
          initialDelayMs: 200,
          maxDelayMs: 5_000,
        });
        return true;
      } catch (err) {
        if (err instanceof ResourceNotFoundException) return false;
        throw err;
      }
    },
  };
}
