// Docs that compile: writes every C++ snippet of the documentation into one C++ file, each in a
// namespace of its own, for the build to compile (tests/docs/CMakeLists.txt), and checks that every
// code span of README's "JavaScript | sio" table appears in readme_table.cpp, which is compiled too.
//
//   node tests/docs/snippets.mjs <source dir> <output dir>
//
// What counts as a snippet:
// - a ```cpp block in README.md or SECURITY.md: compiled as it stands, its #include lines moved to
//   the top of the file (a main() of its own is fine: it is in a namespace, and nothing is linked);
// - in a header under include/sio, the comment lines after a line "// Example:" (or "/// Example:")
//   that are indented by at least two spaces after the slashes: compiled as the body of a function,
//   after #include <sio/server.hpp> and <sio/mount.hpp> (or at namespace scope when it starts with
//   `namespace`, `struct`, `template` or `#include`).
// A snippet that needs names from around it declares them itself.
import { readFileSync, writeFileSync, mkdirSync, readdirSync, statSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";

const [sourceDir, outDir] = process.argv.slice(2);
if (!sourceDir || !outDir) {
  console.error("usage: node snippets.mjs <source dir> <output dir>");
  process.exit(2);
}

const problems = [];
const includes = new Set(["#include <iostream>", "#include <map>", "#include <sio/mount.hpp>", "#include <sio/server.hpp>"]);
const snippets = [];

// One namespace per snippet; #line sends the compiler's messages to the line it came from.
function emit(name, origin, lines, asFunctionBody) {
  const code = [];
  for (const line of lines) {
    if (/^\s*#\s*include\b/.test(line)) {
      includes.add(line.trim());
      code.push("");  // keeps the line numbers
    } else {
      code.push(line);
    }
  }
  const body = asFunctionBody ? ["[[maybe_unused]] static void example() {", ...code, "}"] : code;
  const first = asFunctionBody ? origin.line - 1 : origin.line;
  snippets.push(`namespace ${name} {\n#line ${first} "${origin.file}"\n${body.join("\n")}\n}  // namespace ${name}\n`);
}

function markdownBlocks(file) {
  const lines = readFileSync(join(sourceDir, file), "utf8").split("\n");
  let n = 0;
  for (let i = 0; i < lines.length; ++i) {
    if (lines[i].trim() !== "```cpp") continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end].trim() !== "```") ++end;
    if (end === lines.length) problems.push(`${file}:${i + 1}: a \`\`\`cpp block is not closed`);
    const base = file.replace(/\W+/g, "_").toLowerCase();
    emit(`${base}_${++n}`, { file, line: start + 1 }, lines.slice(start, end), false);
    i = end;
  }
}

function headerExamples(file) {
  const lines = readFileSync(join(sourceDir, file), "utf8").split("\n");
  let n = 0;
  for (let i = 0; i < lines.length; ++i) {
    if (!/^\s*\/\/\/?\s*Example:\s*$/.test(lines[i])) continue;
    const code = [];
    let j = i + 1;
    for (; j < lines.length; ++j) {
      const m = /^\s*\/\/\/?( {2,}.*|)$/.exec(lines[j]);
      if (!m) break;
      if (m[1] === "" && code.length && j + 1 < lines.length && !/^\s*\/\/\/? {2,}/.test(lines[j + 1])) break;
      code.push(m[1]);
    }
    if (!code.some((l) => l.trim())) problems.push(`${file}:${i + 1}: "Example:" is followed by no indented code`);
    const base = file.replace(/^include\//, "").replace(/\W+/g, "_");
    const first = code.find((l) => l.trim()) || "";
    const atNamespaceScope = /^\s*(namespace|struct|template|#\s*include)\b/.test(first);
    emit(`${base}_${++n}`, { file, line: i + 2 }, code, !atNamespaceScope);
    i = j - 1;
  }
}

function headers(dir) {
  for (const entry of readdirSync(join(sourceDir, dir))) {
    const path = join(dir, entry);
    if (statSync(join(sourceDir, path)).isDirectory()) headers(path);
    else if (path.endsWith(".hpp")) headerExamples(path);
  }
}

// The C++ column of README's JavaScript-to-sio table: every code span must be in readme_table.cpp.
function tableSpans() {
  const readme = readFileSync(join(sourceDir, "README.md"), "utf8").split("\n");
  const table = readFileSync(join(sourceDir, "tests/docs/readme_table.cpp"), "utf8");
  const squash = (s) => s.replace(/\s+/g, "");
  const compiled = squash(table);
  let inTable = false;
  let rows = 0;
  for (let i = 0; i < readme.length; ++i) {
    const line = readme[i];
    if (/^\|\s*JavaScript\s*\|\s*sio\s*\|/.test(line)) {
      inTable = true;
      continue;
    }
    if (!inTable) continue;
    if (!line.startsWith("|")) break;
    const cells = line.split(/(?<!\\)\|/).slice(1, -1);
    if (cells.length < 2 || /^\s*-+\s*$/.test(cells[0])) continue;
    ++rows;
    for (const m of cells[1].matchAll(/`([^`]+)`/g)) {
      if (!compiled.includes(squash(m[1])))
        problems.push(`README.md:${i + 1}: \`${m[1]}\` is not in tests/docs/readme_table.cpp, so nothing compiles it`);
    }
  }
  if (rows === 0) problems.push("README.md: the \"| JavaScript | sio |\" table was not found");
}

if (existsSync(outDir)) rmSync(outDir, { recursive: true });
mkdirSync(outDir, { recursive: true });
for (const doc of ["README.md", "SECURITY.md"]) if (existsSync(join(sourceDir, doc))) markdownBlocks(doc);
headers("include");
tableSpans();
writeFileSync(join(outDir, "snippets.cpp"),
  `// Generated by tests/docs/snippets.mjs: every C++ snippet of the documentation.\n${[...includes].join("\n")}\n\n${snippets.join("\n")}`);
if (problems.length) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log(`${snippets.length} snippets written to ${join(outDir, "snippets.cpp")}`);
