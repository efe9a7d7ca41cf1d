import Foundation

/// A client process that queries quarryd as fast as it can: python3 running `script`, so the
/// load comes from separate processes (as real clients would), not from threads of the test.
///
/// Arguments: duration_s, sockets (comma-separated), base query, expected base ids (JSON
/// array), marker query. Each round pipelines 4 searches (marker, base, marker, base) on one
/// persistent connection per socket and checks every answer:
///   failed  no answer, or ok:false (any error at all)
///   wrong   an ok answer whose hits are not what its generation must return: the marker query
///           must return exactly ["marker-N"] for generation gen-N, the base query exactly the
///           expected ids (identical in every generation); or an id not echoed; or a
///           generation older than one this connection already saw
/// Prints one JSON object: per socket {ok, failed, wrong, generations (in order seen), samples}.
enum LoadGenerator {
    static let script = #"""
import json, socket, sys, time

duration = float(sys.argv[1])
paths = sys.argv[2].split(",")
base_query = sys.argv[3]
expected = json.loads(sys.argv[4])
marker_query = sys.argv[5]

def number(gen):
    try:
        return int(gen[4:])
    except Exception:
        return -1

class Conn:
    def __init__(self, path):
        self.path = path
        self.stats = {"ok": 0, "failed": 0, "wrong": 0, "generations": [], "samples": []}
        self.open()

    def open(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(self.path)
        self.reader = self.sock.makefile("rb")

    def note(self, kind, text):
        self.stats[kind] += 1
        if len(self.stats["samples"]) < 5:
            self.stats["samples"].append(kind + ": " + text[:400])

conns = [Conn(p) for p in paths]
next_id = 0
deadline = time.monotonic() + duration
while time.monotonic() < deadline:
    for c in conns:
        batch = []
        for k in range(4):
            next_id += 1
            batch.append((next_id, marker_query if k % 2 == 0 else base_query))
        try:
            c.sock.sendall(b"".join(
                (json.dumps({"v": 1, "id": i, "op": "search", "query": q, "limit": 10}) + "\n").encode()
                for i, q in batch))
            for n, (i, q) in enumerate(batch):
                line = c.reader.readline()
                if not line:
                    for _ in batch[n:]:
                        c.note("failed", "connection closed without an answer")
                    c.open()
                    break
                r = json.loads(line)
                if not r.get("ok"):
                    c.note("failed", line.decode(errors="replace"))
                    continue
                gen = r.get("generation", "")
                ids = [h["id"] for h in r.get("hits", [])]
                gens = c.stats["generations"]
                if r.get("id") != i:
                    c.note("wrong", "id %r for request %d" % (r.get("id"), i))
                elif q == marker_query and ids != ["marker-%d" % number(gen)]:
                    c.note("wrong", "%s: %s answered %r" % (gen, q, ids))
                elif q == base_query and ids != expected:
                    c.note("wrong", "%s: %s answered %r" % (gen, q, ids))
                elif gens and number(gen) < number(gens[-1]):
                    c.note("wrong", "generation went back from %s to %s" % (gens[-1], gen))
                else:
                    c.stats["ok"] += 1
                if not gens or gens[-1] != gen:
                    gens.append(gen)
        except Exception as e:
            c.note("failed", "%s: %s" % (type(e).__name__, e))
            try:
                c.sock.close()
                c.open()
            except Exception as e2:
                c.note("failed", "reconnect: %s" % e2)
                time.sleep(0.05)
print(json.dumps({c.path: c.stats for c in conns}))
"""#

    struct SocketFigures: Decodable {
        var ok: Int
        var failed: Int
        var wrong: Int
        var generations: [String]
        var samples: [String]
    }

    /// Decodes the script's output line.
    static func figures(from output: String) throws -> [String: SocketFigures] {
        guard let line = output.split(separator: "\n").last else { throw HarnessError("load generator printed nothing") }
        return try JSONDecoder().decode([String: SocketFigures].self, from: Data(line.utf8))
    }
}
