/**
 * The suite runs the same on a learner's machine as in CI: their `.env`, their AWS keys and
 * profile, their workbook prefix and email, and their choice of local cloud are theirs, not
 * the tests'. Each test that needs a setting passes it to the script it runs.
 */
const LEARNER_SETTINGS = /^(AWS_|WORKBOOK_|LOCAL_CLOUD_|NOTIFY_EMAIL$)/;

for (const name of Object.keys(process.env)) {
  if (LEARNER_SETTINGS.test(name) && name !== 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED') delete process.env[name];
}
process.env.WORKBOOK_DOTENV = 'off';
