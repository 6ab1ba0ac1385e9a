"""31-bit small integers (issue 14): on the rp2 and esp32 ports an integer
of 2**30 or more is a heap-allocated long int, so a constant that large
allocates wherever it is used (the annunciator's 0xFFFFFFFF pattern did, on
every background pass). No integer literal in the firmware or a board file
may reach 2**30; values that must be 32 bits wide (a CRC-32) come from the
port's C code or are computed in 16-bit halves."""
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 1 << 30


def big_literals(path: Path) -> list[tuple[int, str]]:
    """(line, literal) of every integer literal >= 2**30 in a Python file."""
    out = []
    with open(path, "rb") as f:
        for tok in tokenize.tokenize(f.readline):
            if tok.type != tokenize.NUMBER:
                continue
            text = tok.string.lower().replace("_", "")
            if not text.startswith(("0x", "0o", "0b")) and any(c in text for c in ".ej"):
                continue  # a float or complex literal
            if abs(int(text, 0)) >= LIMIT:
                out.append((tok.start[0], tok.string))
    return out


def test_no_firmware_constant_reaches_2_pow_30():
    files = sorted((ROOT / "firmware").glob("*.py")) + sorted((ROOT / "boards").glob("*.py"))
    assert len(files) > 30
    found = ["%s:%d %s" % (p.relative_to(ROOT), line, lit) for p in files for line, lit in big_literals(p)]
    assert not found, "integer literals >= 2**30 (long ints on a 32-bit port): " + ", ".join(found)


def test_the_check_finds_a_large_literal(tmp_path):
    p = tmp_path / "x.py"
    p.write_text("A = 0x3FFFFFFF\nB = 0xFFFFFFFF\nC = 1.5e12\nD = 2_000_000_000\n")
    assert big_literals(p) == [(2, "0xFFFFFFFF"), (4, "2_000_000_000")]
