// Validates every vcpkg manifest (vcpkg.json) and vcpkg-configuration.json under packaging/vcpkg
// against vcpkg's JSON schemas (draft-07) with ajv, and checks that the sio port's version is the one
// in include/sio/version.hpp.
// Usage: node tests/cmake/vcpkg/validate_json.mjs <sio repository root> <directory of vcpkg schemas>
import fs from "node:fs";
import path from "node:path";
import Ajv from "ajv";
import addFormats from "ajv-formats";

const [root, schemaDir] = process.argv.slice(2).map((p) => path.resolve(p));
const readJson = (file) => JSON.parse(fs.readFileSync(file, "utf8"));

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
for (const name of ["vcpkg-schema-definitions", "vcpkg-configuration", "vcpkg"]) {
  ajv.addSchema(readJson(path.join(schemaDir, `${name}.schema.json`)));
}
const base = "https://raw.githubusercontent.com/microsoft/vcpkg-tool/main/docs/";
const validators = {
  "vcpkg.json": ajv.getSchema(`${base}vcpkg.schema.json`),
  "vcpkg-configuration.json": ajv.getSchema(`${base}vcpkg-configuration.schema.json`),
};

const files = [];
const walk = (dir) => {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full);
    else if (entry.name in validators) files.push(full);
  }
};
walk(path.join(root, "packaging", "vcpkg"));

let passed = 0;
let failed = 0;
const report = (ok, what, detail = "") => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${detail ? `: ${detail}` : ""}`);
  if (ok) passed++;
  else failed++;
};
// The schemas must have teeth: a manifest with a bad name, a bad version and an unknown field fails.
report(!validators["vcpkg.json"]({ name: "Bad_Name", version: "1 0", bogus: true }),
  "the vcpkg schema rejects a malformed manifest");
for (const file of files.sort()) {
  const rel = path.relative(root, file);
  let data;
  try {
    data = readJson(file);
  } catch (err) {
    report(false, rel, err.message);
    continue;
  }
  const validate = validators[path.basename(file)];
  const ok = validate(data);
  report(ok, `${rel} against ${path.basename(file) === "vcpkg.json" ? "vcpkg" : "vcpkg-configuration"}.schema.json`,
    ok ? "" : ajv.errorsText(validate.errors, { separator: "; " }));
}
report(files.length === 3, `found ${files.length} vcpkg JSON files (expected the sio port, the example's manifest and configuration)`);

const header = fs.readFileSync(path.join(root, "include", "sio", "version.hpp"), "utf8");
const version = /#define SIO_VERSION_STRING "([^"]+)"/.exec(header)?.[1];
const port = readJson(path.join(root, "packaging", "vcpkg", "ports", "sio", "vcpkg.json"));
report(port.version === version, `ports/sio/vcpkg.json version ${port.version} equals version.hpp ${version}`);
const example = readJson(path.join(root, "packaging", "vcpkg", "example", "vcpkg.json"));
report(example.dependencies.includes("sio"), "the manifest example depends on sio");
report(/^[0-9a-f]{40}$/.test(example["builtin-baseline"] ?? ""), "the manifest example pins a builtin-baseline commit");
// sio needs no websocketpp, so no overlay port for it and no Asio override (websocketpp capped Asio).
const portDeps = port.dependencies.map((d) => (typeof d === "string" ? d : d.name));
report(!portDeps.includes("websocketpp"), `ports/sio does not depend on websocketpp (${portDeps.join(", ")})`);
// sio[redis]: sio::redis needs hiredis (RESP) and msgpack-cxx (vcpkg's port "msgpack").
const redisDeps = (port.features?.redis?.dependencies ?? []).map((d) => (typeof d === "string" ? d : d.name)).sort();
report(redisDeps.join(",") === "hiredis,msgpack", `ports/sio's feature redis depends on hiredis and msgpack (${redisDeps.join(", ")})`);
report(!/websocketpp/i.test([port.description].flat().join(" ")), "ports/sio's description does not mention websocketpp");
report(!fs.existsSync(path.join(root, "packaging", "vcpkg", "ports", "websocketpp")), "no websocketpp overlay port");
report(!("overrides" in example), "the manifest example has no overrides (no Asio pin)");

console.log(`vcpkg JSON: ${passed} checks passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
