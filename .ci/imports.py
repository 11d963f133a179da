#!/usr/bin/env python3
"""Which module of src/ imports which, checked against the layers in .ci/layers.txt.

A module is a file (src/a/b.rs or src/a/b/mod.rs is crate::a::b; test modules inside a
file belong to it). An arrow is a path to another module in a `use` line or in code
(`crate::…`, `super::…`, `self::…`). The check fails when
  - an arrow runs from a room to a room above it (the layers file lists rooms bottom
    first; a module may import its own room and the rooms below), or
  - modules import each other in a cycle, whatever their rooms, or
  - a module names what its room never does (`never PREFIX NAME` lines).

  .ci/imports.py            the check (make lint); prints the figures
  .ci/imports.py --figures  the figures only, and what breaks the rules, without failing
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SRC = os.path.join(ROOT, "src")
LAYERS = os.path.join(ROOT, ".ci", "layers.txt")


def modules():
    """{module path: file} for every module file of the library."""
    found = {}
    for dirpath, _, files in os.walk(SRC):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, SRC)[:-3].split(os.sep)
            if rel == ["main"]:
                continue  # the binary: a crate of its own
            if rel == ["lib"]:
                parts = []
            elif rel[-1] == "mod":
                parts = rel[:-1]
            else:
                parts = rel
            found["::".join(["crate"] + parts)] = path
    return found


def without_tests(text):
    """The file without its `#[cfg(test)] mod tests { … }` blocks (which may import
    what they test)."""
    while True:
        match = re.search(r"#\[cfg\([^\]]*\btest\b[^\]]*\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{", text)
        if not match:
            return text
        depth, i = 0, match.end() - 1
        while i < len(text):
            depth += text[i] == "{"
            depth -= text[i] == "}"
            if depth == 0:
                break
            i += 1
        text = text[: match.start()] + text[i + 1:]


def without_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def expand(tree):
    """`a::{b, c::{d, e}}` -> ['a::b', 'a::c::d', 'a::c::e']."""
    tree = tree.strip()
    depth, start = 0, None
    for i, ch in enumerate(tree):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}":
            depth -= 1
    if start is None:
        return [tree]
    if depth != 0 or "}" not in tree[start:]:
        return []  # not a use tree (a `use` inside a string, say)
    prefix = tree[:start].rstrip(":").strip()
    inner = tree[start + 1: tree.rindex("}")]
    items, depth, current = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            items.append(current)
            current = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        current += ch
    items.append(current)
    out = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        for sub in expand(item):
            sub = re.sub(r"\s+as\s+\w+$", "", sub)
            out.append(f"{prefix}::{sub}" if prefix else sub)
    return out


def without_strings(text):
    # Visibility paths (`pub(crate)`, `pub(super)`) name no module.
    text = re.sub(r"pub\((crate|super|self|in [^)]*)\)", "pub", text)
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)


def inline_modules(text):
    """[(start, end, name)] of the `mod name { … }` blocks written inside the file."""
    found = []
    for match in re.finditer(r"\bmod\s+(\w+)\s*\{", text):
        depth, i = 0, match.end() - 1
        while i < len(text):
            depth += text[i] == "{"
            depth -= text[i] == "}"
            if depth == 0:
                break
            i += 1
        found.append((match.end(), i, match.group(1)))
    return found


def paths(text):
    """Every crate-relative path the code names, with the inline modules it sits in."""
    text = without_strings(text)
    blocks = inline_modules(text)
    inside = lambda at: [name for start, end, name in blocks if start <= at <= end]
    found = []
    for match in re.finditer(r"\buse\s+([^;]+);", text):
        found += [(p, inside(match.start())) for p in expand(match.group(1))]
    # Paths in code (the `use` lines, read above, blanked out with their length kept).
    code = re.sub(r"\buse\s+[^;]+;", lambda m: " " * len(m.group(0)), text)
    for match in re.finditer(r"\b((?:crate|super|self)(?:::\w+)+)", code):
        found.append((match.group(1), inside(match.start())))
    return [(p, n) for p, n in found if p.split("::")[0] in ("crate", "super", "self")]


def resolve(path, here, known, nested=()):
    """The module `path`, seen from module `here` (inside its inline modules `nested`),
    names (the longest known prefix)."""
    parts = path.split("::")
    base = here.split("::") + list(nested)
    while parts and parts[0] in ("super", "self"):
        if parts[0] == "super":
            base = base[:-1]
        parts = parts[1:]
    if parts and parts[0] == "crate":
        full = parts
    else:
        full = base + parts
    for n in range(len(full), 0, -1):
        candidate = "::".join(full[:n])
        if candidate in known:
            return candidate
    return None


def arrows(known):
    out = set()
    for module, file in known.items():
        text = without_comments(without_tests(open(file, encoding="utf-8").read()))
        for path, nested in paths(text):
            target = resolve(path, module, known, nested)
            if target and target != module:
                out.add((module, target))
    return out


def rooms():
    """The rooms, bottom first: each a list of module prefixes."""
    order = []
    for line in open(LAYERS, encoding="utf-8"):
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("never "):
            order.append(line.split())
    return order


def nevers():
    """(prefix, name): modules under `prefix` never name `name` (`never PREFIX NAME`)."""
    found = []
    for line in open(LAYERS, encoding="utf-8"):
        line = line.split("#", 1)[0].strip()
        if line.startswith("never "):
            _, prefix, name = line.split()
            found.append((prefix, name))
    return found


def room_of(module, order):
    best = None
    for level, prefixes in enumerate(order):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "::"):
                if best is None or len(prefix) > best[1]:
                    best = (level, len(prefix), prefix)
    return best


def cycles(nodes, edges):
    """Strongly connected components with more than one module (Tarjan)."""
    graph = {n: [] for n in nodes}
    for a, b in edges:
        graph[a].append(b)
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for n in nodes:
        if n not in index:
            visit(n)
    return out


def main():
    figures_only = "--figures" in sys.argv[1:]
    known = modules()
    edges = arrows(known)
    order = rooms()
    problems = []
    unplaced = sorted(m for m in known if room_of(m, order) is None)
    for module in unplaced:
        problems.append(f"{module} is in no room of .ci/layers.txt")
    upward = []
    for a, b in sorted(edges):
        ra, rb = room_of(a, order), room_of(b, order)
        # A parent module (mod.rs) that declares and re-exports its children is not an
        # import running up: it is the folder's own door.
        if b.startswith(a + "::"):
            continue
        if ra and rb and rb[0] > ra[0]:
            upward.append((a, b, ra[2], rb[2]))
    for a, b, ra, rb in upward:
        problems.append(f"{a} ({ra}) imports {b} ({rb}), a room above it")
    for prefix, name in nevers():
        for module, file in sorted(known.items()):
            if module != prefix and not module.startswith(prefix + "::"):
                continue
            code = without_strings(without_comments(without_tests(open(file, encoding="utf-8").read())))
            if re.search(rf"\b{re.escape(name)}\b", code):
                problems.append(f"{module} names {name}, which {prefix} never does")
    # Cycles, leaving out a folder's mod.rs naming its own children (declaring them is
    # not importing them back).
    real = {(a, b) for a, b in edges if not b.startswith(a + "::")}
    found = cycles(sorted(known), real)
    for component in found:
        problems.append("an import cycle: " + " <-> ".join(component))
    sizes = sorted(
        (sum(1 for _ in open(f, encoding="utf-8")), m) for m, f in known.items()
    )
    print(
        f"imports: {len(known)} modules, {len(real)} arrows, {len(found)} cycles, "
        f"{len(upward)} arrows up the rooms; largest file {sizes[-1][1]} ({sizes[-1][0]} lines)"
    )
    for problem in problems:
        print(f"  {problem}")
    if problems and not figures_only:
        print("imports: see .ci/layers.txt for the rooms and the rule", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
