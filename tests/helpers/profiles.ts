// Profiles shared by the end-to-end tests.

/** A profile with a node service whose NAME comes from an input. */
export const TINY_PROFILE = (base: number, extra = "") => `id = "tiny-web"
version = 3
description = "one node server"
ttl = "30m"
${extra}
[inputs.greeting]
description = "what the server calls itself"

[inputs.script]
default = "server.mjs"

[defaults.infra.sandbox]
backend = "process"

[defaults.infra.sandbox.ports]
API_PORT = { base = ${base}, stride = 10 }

[defaults.infra.services.api]
command = "node \${inputs.script}"
port = "API_PORT"
env = { NAME = "\${inputs.greeting}" }
ready = { type = "http", path = "/" }
`;
