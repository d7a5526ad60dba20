// The OpenAPI document of `sbx serve`, served at /openapi.json and committed as
// docs/openapi.json (a test keeps the two equal).

import { SBX_VERSION } from "../../version.js";
import { EVENT_NAMES } from "../events.js";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown, description: string) => ({ description, content: { "application/json": { schema } } });
const problem = (description: string) => json(ref("Problem"), description);

const idParam = { name: "id", in: "path", required: true, description: "The sandbox's instance id (project name + hash of its worktree), as `sbx list` shows it.", schema: { type: "string" } };

export function openApiDocument(version = SBX_VERSION): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: {
      title: "sbx local API",
      version,
      description:
        "What `sbx serve` offers coding agents and tools on this machine: the sandboxes of this host, made from a project's infra.toml or from a profile with inputs. Every call runs the same workflows and takes the same locks as the sbx command line. Requests under /v1 need `Authorization: Bearer <token>`, the token `sbx serve` keeps in $SBX_HOME/api-token (0600); without it the answer is 401. Secret values never appear in any answer.",
    },
    servers: [{ url: "http://127.0.0.1:7878" }],
    security: [{ bearer: [] }],
    paths: {
      "/openapi.json": {
        get: { summary: "This document", security: [], operationId: "openapi", responses: { "200": { description: "The OpenAPI document", content: { "application/json": {} } } } },
      },
      "/v1/sandboxes": {
        get: {
          summary: "Every sandbox on this host",
          operationId: "listSandboxes",
          responses: { "200": json({ type: "object", required: ["sandboxes"], properties: { sandboxes: { type: "array", items: ref("SandboxSummary") } } }, "The sandboxes, by slot"), "401": problem("No or wrong token") },
        },
        post: {
          summary: "Create (or converge) the sandbox of a directory",
          description:
            "As `sbx apply --auto-approve [--profile NAME] [--input K=V]... [--set sandbox.ttl=TTL]` run in `dir`. With a profile and no infra.toml in `dir`, the sandbox is made from the profile alone. Applying again converges it; the slot stays.",
          operationId: "createSandbox",
          requestBody: { required: true, content: { "application/json": { schema: ref("CreateRequest") } } },
          responses: {
            "201": json(ref("Created"), "Applied: the sandbox is ready"),
            "400": problem("The request is malformed (not JSON, missing or wrong fields, no such directory)"),
            "401": problem("No or wrong token"),
            "409": problem("The sandbox is locked by another sbx, or no slot or port is free"),
            "422": problem("The configuration, profile or inputs are wrong (diagnostics name file:line:col)"),
            "500": problem("Provisioning or the health gate failed; the diagnostics say what to do"),
          },
        },
      },
      "/v1/sandboxes/{id}": {
        parameters: [idParam],
        get: {
          summary: "One sandbox: slot, TTL, resources and how to reach it",
          operationId: "getSandbox",
          responses: { "200": json(ref("Sandbox"), "The sandbox"), "401": problem("No or wrong token"), "404": problem("No sandbox with this id") },
        },
        delete: {
          summary: "Destroy a sandbox (from its state, as `sbx destroy`) and release its slot",
          operationId: "destroySandbox",
          responses: {
            "200": json({ type: "object", required: ["destroyed"], properties: { destroyed: { type: "string" }, released_slot: { type: ["integer", "null"] }, diagnostics: { type: "array", items: ref("Diagnostic") } } }, "Destroyed"),
            "401": problem("No or wrong token"),
            "404": problem("No sandbox with this id"),
            "409": problem("The sandbox is locked by another sbx"),
            "500": problem("Some resources could not be removed"),
          },
        },
      },
      "/v1/sandboxes/{id}/extend-ttl": {
        parameters: [idParam],
        post: {
          summary: "Set the expiry to now + duration",
          operationId: "extendTtl",
          requestBody: { required: true, content: { "application/json": { schema: { type: "object", required: ["duration"], additionalProperties: false, properties: { duration: { type: "string", examples: ["2h"], description: "30s, 15m, 2h, 1d" } } } } } },
          responses: {
            "200": json({ type: "object", required: ["id", "expires_at"], properties: { id: { type: "string" }, expires_at: { type: "string", format: "date-time" } } }, "The new expiry"),
            "400": problem("Not a duration"),
            "401": problem("No or wrong token"),
            "404": problem("No sandbox with this id"),
            "409": problem("The sandbox is locked (being destroyed or applied)"),
          },
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "The token in $SBX_HOME/api-token." } },
      schemas: {
        CreateRequest: {
          type: "object",
          required: ["dir"],
          additionalProperties: false,
          properties: {
            dir: { type: "string", description: "Absolute path of the directory (git worktree) the sandbox belongs to; each directory is its own sandbox." },
            profile: { type: "string", description: "A profile name or id from `sbx profiles list`." },
            inputs: { type: "object", additionalProperties: { type: "string" }, description: "Values for the inputs the profile declares (${inputs.NAME})." },
            ttl: { type: "string", description: "Time to live (30m, 8h); the same as set: [\"sandbox.ttl=...\"]." },
            set: { type: "array", items: { type: "string" }, description: "option.path=value overrides, as --set." },
          },
        },
        Created: {
          type: "object",
          required: ["sandbox", "summary"],
          properties: {
            sandbox: ref("Reachability"),
            summary: { type: "object", properties: { add: { type: "integer" }, change: { type: "integer" }, replace: { type: "integer" }, destroy: { type: "integer" } } },
            log: { type: "array", items: { type: "string" }, description: "Progress lines (secrets masked)." },
            diagnostics: { type: "array", items: ref("Diagnostic") },
          },
        },
        SandboxSummary: {
          type: "object",
          required: ["id", "project", "worktree", "slot", "status"],
          properties: {
            id: { type: "string" },
            project: { type: "string" },
            worktree: { type: "string" },
            slot: { type: ["integer", "null"] },
            status: { type: "string", enum: ["provisioning", "running", "incomplete", "no slot"] },
            ports: { type: "object", additionalProperties: { type: "integer" } },
            expires_at: { type: ["string", "null"], format: "date-time" },
            time_left: { type: ["string", "null"], description: "\"2h\", \"45s\", or \"expired\"" },
          },
        },
        Sandbox: {
          allOf: [
            ref("SandboxSummary"),
            {
              type: "object",
              properties: {
                reachability: { anyOf: [ref("Reachability"), { type: "null" }] },
                resources: { type: "array", items: { type: "object", required: ["address", "type", "state"], properties: { address: { type: "string" }, type: { type: "string" }, state: { type: "string" }, detail: { type: "string" }, urls: { type: "array", items: { type: "string" } } } } },
              },
            },
          ],
        },
        Reachability: {
          type: "object",
          description: "How to reach a sandbox; the same document as .sbx/sandbox.json in its worktree and `sbx status --json`.",
          required: ["format_version", "instance", "project", "worktree", "backend", "placement", "slot", "status", "ports", "urls", "ssh", "env", "secrets", "ttl", "expires_at"],
          properties: {
            format_version: { type: "string", const: "1" },
            instance: { type: "string" },
            project: { type: "string" },
            worktree: { type: "string" },
            backend: { type: "string" },
            placement: { type: "string", description: "local, or where it runs" },
            slot: { type: ["integer", "null"] },
            status: { type: "string" },
            ports: { type: "object", additionalProperties: { type: "integer" } },
            urls: { type: "array", items: { type: "object", required: ["name", "url"], properties: { name: { type: "string" }, url: { type: "string" } } } },
            ssh: { type: ["string", "null"], description: "A shell one-liner where there is one; null on this machine." },
            env: { type: "array", items: { type: "string" }, description: "Names of the sandbox's env variables (never values)." },
            secrets: { type: "array", items: { type: "string" }, description: "Names of its secrets (never values)." },
            env_files: { type: "object", properties: { sandbox: { type: ["string", "null"] }, secrets: { type: ["string", "null"] } } },
            ttl: { type: ["string", "null"] },
            expires_at: { type: ["string", "null"], format: "date-time" },
            time_left: { type: ["string", "null"] },
            profiles: { type: "array", items: { type: "object", properties: { id: { type: "string" }, version: { type: "string" } } } },
            updated_at: { type: "string", format: "date-time" },
          },
        },
        Diagnostic: {
          type: "object",
          required: ["severity", "summary"],
          properties: {
            severity: { type: "string", enum: ["error", "warning"] },
            code: { type: "string" },
            summary: { type: "string" },
            detail: { type: "string" },
            address: { type: "string" },
            range: { type: "object", properties: { file: { type: "string" }, start: { type: "object", properties: { line: { type: "integer" }, col: { type: "integer" } } } } },
          },
        },
        Problem: {
          type: "object",
          required: ["error"],
          properties: { error: { type: "string", description: "A short title" }, detail: { type: "string" }, diagnostics: { type: "array", items: ref("Diagnostic") } },
        },
        Event: {
          type: "object",
          description: "One line of $SBX_HOME/events.jsonl, also POSTed to events.url. Delivery is at least once when the receiver answers 2xx in time: deduplicate by id.",
          required: ["id", "at", "event", "instance"],
          properties: {
            id: { type: "string", format: "uuid" },
            at: { type: "string", format: "date-time" },
            event: { type: "string", enum: [...EVENT_NAMES] },
            instance: { type: "string" },
            project: { type: "string" },
            worktree: { type: "string" },
            slot: { type: ["integer", "null"], description: "destroyed, expired, collected: the slot released" },
          },
        },
      },
    },
  };
}
