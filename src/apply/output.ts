// What the CLI needs at start-up from the apply layer, and nothing heavier: the redactor
// every line of output passes through.

export { globalRedactor as outputRedactor } from "./secrets/redact.js";
