// Registry of client connections opened by a test, so that a hook can destroy whatever a test
// (passing, failing or timing out) left open.
const open = new Set();

/** Register anything with destroy() or terminate(); it is dropped from the registry once closed. */
export function track(conn) {
  open.add(conn);
  conn.once?.("close", () => open.delete(conn));
  return conn;
}

export function destroyAll() {
  for (const conn of open) {
    try {
      if (typeof conn.terminate === "function") conn.terminate();
      else if (typeof conn.destroy === "function") conn.destroy();
      else if (typeof conn.close === "function") conn.close();
    } catch {
      // already gone
    }
  }
  open.clear();
}

export function openCount() {
  return open.size;
}
