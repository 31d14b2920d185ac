// A module that exports a policy: `import * as policy from` it, in place of `import {policy} from` it,
// hands knouds-retry the module namespace instead of the policy.
export const policy = {EXECUTION_FAILED: 5};
