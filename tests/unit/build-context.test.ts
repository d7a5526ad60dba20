// Build contexts as drift, the pure parts: the .dockerignore matcher (table of Docker's
// documented cases) and reading a compose file's build contexts.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { composeBuilds } from "../../src/compile/backends/compose-builds.js";
import { isIgnored, parseDockerignore } from "../../src/kinds/compose/dockerignore.js";

const cases: [string, string, boolean][] = [
  // [.dockerignore, path, ignored]
  ["node_modules", "node_modules/x/index.js", true],
  ["node_modules", "src/node_modules/x.js", false],
  ["/node_modules/", "node_modules", true],
  ["*.log", "debug.log", true],
  ["*.log", "logs/debug.log", false],
  ["**/*.log", "logs/deep/debug.log", true],
  ["**/*.log", "debug.log", true],
  ["temp?", "temp1", true],
  ["temp?", "temp12", false],
  ["*/temp*", "somedir/temporary.txt", true],
  ["*/temp*", "temporary.txt", false],
  ["*/*/temp*", "a/b/temp.txt", true],
  ["docs\n!docs/keep.md", "docs/keep.md", false],
  ["docs\n!docs/keep.md", "docs/other.md", true],
  ["*.md\n!README*.md\nREADME-secret.md", "README-secret.md", true],
  ["*.md\n!README*.md\nREADME-secret.md", "README.md", false],
  ["# comment\n\n  build/  ", "build/out.js", true],
  ["./dist", "dist/a.js", true],
  ["[a-c].txt", "b.txt", true],
  ["[a-c].txt", "d.txt", false],
  ["a/**", "a/b/c", true],
  ["a/**", "ab/c", false],
];

for (const [ignore, p, want] of cases)
  test(`.dockerignore ${JSON.stringify(ignore)}: ${p} is ${want ? "" : "not "}ignored`, () => {
    assert.is(isIgnored(parseDockerignore(ignore), p), want);
  });

test("composeBuilds reads short and long build forms relative to the compose file, and leaves out what it cannot hash", () => {
  const text = `services:
  api:
    build: ./api
  web:
    build:
      context: web
      dockerfile: docker/Dockerfile.dev
  remote:
    build: https://github.com/example/app.git
  templated:
    build: \${CTX:-.}
  inline:
    build:
      context: .
      dockerfile_inline: FROM scratch
  image:
    image: sbx-busybox:test
`;
  assert.equal(composeBuilds(text, "/w/sub"), {
    api: { context: "/w/sub/api", dockerfile: "/w/sub/api/Dockerfile" },
    web: { context: "/w/sub/web", dockerfile: "/w/sub/web/docker/Dockerfile.dev" },
  });
  assert.equal(composeBuilds("services:\n  api:\n    build: .\n", "<worktree>"), { api: { context: "<worktree>", dockerfile: "<worktree>/Dockerfile" } }, "symbolic roots stay symbolic");
  assert.equal(composeBuilds("services: [", "/w"), {});
});

test.run();
