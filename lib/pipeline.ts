/**
 * Settings that two steps must agree on. A step that configures one side of a pairing
 * imports the value from here, so the other side (built in a later step) cannot drift.
 */

/**
 * The monitor function's timeout (step 5), which consumes the orders queue (step 1).
 * Ten seconds is ample for a batch of ten orders, each one a quick SNS Publish.
 */
export const MONITOR_TIMEOUT_SECONDS = 10;

/**
 * AWS advises a queue visibility timeout of at least six times the timeout of the function
 * that an event source mapping feeds from it: Lambda may retry a throttled batch, and the
 * messages must stay hidden meanwhile or they are delivered twice. Lambda itself refuses a
 * mapping whose queue's visibility timeout is shorter than the function timeout.
 */
export const VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT = 6;
