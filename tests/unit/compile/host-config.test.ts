// $SBX_HOME/config.toml (src/compile/host-config.ts): defaults, every key, located errors.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { DEFAULT_HOST_CONFIG, parseHostConfig, parseListen } from "../../../src/compile/host-config.js";

test("no file: the defaults", () => {
  assert.equal(parseHostConfig("config.toml", undefined), { config: DEFAULT_HOST_CONFIG, diags: [] });
});

test("every key is read and converted", () => {
  const r = parseHostConfig("config.toml", '[events]\nurl = "http://127.0.0.1:9000/hook"\ntimeout = "500ms"\nretries = 0\nwait = "1s"\n[serve]\nlisten = "127.0.0.1:0"\nreap_interval = "0"\n');
  assert.equal(r.diags, []);
  assert.equal(r.config, { events: { url: "http://127.0.0.1:9000/hook", timeoutMs: 500, retries: 0, waitMs: 1000 }, serve: { listen: "127.0.0.1:0", reapIntervalMs: 0 } });
});

test("mistakes are located errors with a hint; the defaults stand in", () => {
  const r = parseHostConfig("config.toml", '[events]\nurl = "ftp://x"\ntimout = "1s"\nretries = 99\n[serv]\nlisten = "x"\n');
  assert.equal(
    r.diags.map((d) => `${d.range?.start.line}:${d.range?.start.col} ${d.summary}${d.detail?.includes("Did you mean") ? " (hint)" : ""}`),
    ["2:7 Invalid URL for `events.url'", "3:1 Unknown option `events.timout' (hint)", "4:11 Invalid `events.retries'", "5:1 Unknown table `serv' in the host configuration (hint)"],
  );
  assert.is(r.config.events.url, undefined);
  assert.equal(parseHostConfig("config.toml", "[events\n").diags.map((d) => d.summary), ["Invalid TOML"]);
});

test("listen addresses", () => {
  assert.equal(parseListen("127.0.0.1:7878"), { host: "127.0.0.1", port: 7878 });
  assert.equal(parseListen("[::1]:80"), { host: "::1", port: 80 });
  assert.is(parseListen("127.0.0.1"), undefined);
  assert.is(parseListen("h:70000"), undefined);
});

test.run();
