# Unit parsing and formatting for the firmware (MicroPython; also imports in CPython).
#
# Pressures are vacuum depth in integer Pa (positive = below ambient),
# durations are integer ms, rates are integer mHz (or whole Hz), percentages
# (roller speed, laser power) integer percent.
#
# A value is ONE token: optional sign, decimal mantissa, unit, no spaces:
#   30kPa  +30kPa  -5kPa  225mmHg  0.3atm  500ms  1.5min  72h  0.5Hz  40%
# The mantissa is digits with at most one '.', which needs a digit on both
# sides ('.5kPa' and '5.kPa' are rejected). No exponents, hex, nan or inf.
# Units are matched as spelled here or all-lowercase ('kPa' and 'kpa', not
# 'KPA'); a near miss gets a "did you mean" hint. A number without a unit is
# an error, never a guess.
#
# No floats: the decimal is parsed with integer maths, converted with exact
# rational factors and rounded half away from zero. Tokens are at most
# MAX_LEN characters and results at most LIMIT in magnitude, so a result is
# always a small int on the RP2040 (|x| < 2**30).
#
# host_tools/vacuumctl/units.py mirrors this module exactly (same results,
# same messages); host_tools/tests/test_units.py cross-checks the two.
try:
    from micropython import const
except ImportError:  # CPython (simulator, tests)
    def const(x):
        return x

MAX_LEN = const(24)
LIMIT = const(1000000000)


class UnitError(ValueError):
    pass


# (name, numerator, denominator): one unit = numerator/denominator base units.
_PRESSURE = (
    ("Pa", 1, 1),
    ("kPa", 1000, 1),
    ("hPa", 100, 1),
    ("mbar", 100, 1),
    ("mmHg", 133322387, 1000000),
    ("inHg", 3386389, 1000),
    ("atm", 101325, 1),
    ("cmH2O", 980665, 10000),
)
_DURATION = (("ms", 1, 1), ("s", 1000, 1), ("min", 60000, 1), ("h", 3600000, 1))
_RATE = (("Hz", 1000, 1),)  # base unit mHz
_PERCENT = (("%", 1, 1),)  # base unit whole percent
_KINDS = (("pressure", _PRESSURE), ("duration", _DURATION), ("rate", _RATE), ("percentage", _PERCENT))
# Display decimals for format_pa, same order as _PRESSURE.
_DECIMALS = (0, 1, 0, 0, 0, 2, 3, 0)


def _names(table):
    return ", ".join([u[0] for u in table])


def _find(table, unit):
    for i in range(len(table)):
        name = table[i][0]
        if unit == name or unit == name.lower():
            return i
    return -1


def _one_edit(a, b):
    # True if a and b differ by exactly one substitution, insertion or deletion.
    la = len(a)
    lb = len(b)
    if la > lb:
        a, b, la, lb = b, a, lb, la
    if lb - la > 1:
        return False
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        return i < la and a[i + 1:] == b[i + 1:]
    return a[i:] == b[i + 1:]


def _suggest(table, unit):
    # A unit that differs only by case wins; otherwise every unit one edit
    # away (ignoring case), if both spellings have at least 2 characters.
    lo = unit.lower()
    for u in table:
        if lo == u[0].lower():
            return u[0]
    hits = []
    for u in table:
        low = u[0].lower()
        if min(len(lo), len(low)) >= 2 and _one_edit(lo, low):
            hits.append(u[0])
    return " or ".join(hits)


def _split(tok):
    # -> (negative, mantissa digits as int, number of fraction digits, unit)
    n = len(tok)
    if n == 0:
        raise UnitError("empty value")
    if n > MAX_LEN:
        raise UnitError("value too long (max %d characters)" % MAX_LEN)
    for c in tok:
        o = ord(c)
        if o == 32:
            raise UnitError("'%s' must not contain spaces" % tok)
        if o < 33 or o > 126:
            raise UnitError("value contains an illegal character")
    i = 0
    neg = False
    if tok[0] == "-" or tok[0] == "+":
        neg = tok[0] == "-"
        i = 1
    rest = tok[i:].lower()
    if rest.startswith("nan") or rest.startswith("inf"):
        raise UnitError("'%s' is not a number" % tok)
    m = 0
    nd = 0
    fd = -1
    while i < n:
        c = tok[i]
        if "0" <= c <= "9":
            m = m * 10 + ord(c) - 48
            nd += 1
            if fd >= 0:
                fd += 1
        elif c == ".":
            if fd >= 0:
                raise UnitError("'%s' is not a valid number" % tok)
            fd = 0
        else:
            break
        i += 1
    if nd == 0:
        raise UnitError("'%s' has no number" % tok)
    unit = tok[i:]
    if fd == 0 or fd == nd:
        raise UnitError("'%s' is not a valid number" % tok)
    if fd < 0:
        fd = 0
    return neg, m, fd, unit


def _round(neg, num, den):
    # num/den (both >= 0) rounded half away from zero, then given the sign.
    q = (2 * num + den) // (2 * den)
    return -q if neg else q


def _parse(tok, kind):
    name, table = _KINDS[kind]
    neg, m, fd, unit = _split(tok)
    if not unit:
        raise UnitError("'%s' needs a %s unit: %s" % (tok, name, _names(table)))
    k = _find(table, unit)
    if k < 0:
        for other, t in _KINDS:
            if t is not table and _find(t, unit) >= 0:
                raise UnitError("'%s' is a %s, expected a %s" % (tok, other, name))
        for c in unit:
            if c in "0123456789.+-":  # 1e3kPa, 0x1FPa, 30kPa5, 5-kPa
                raise UnitError("'%s' is not a valid number" % tok)
        hint = _suggest(table, unit)
        if hint:
            raise UnitError("'%s' has unknown unit '%s'; did you mean %s?" % (tok, unit, hint))
        raise UnitError("'%s' has unknown unit '%s'; %s units: %s" % (tok, unit, name, _names(table)))
    u = table[k]
    v = _round(neg, m * u[1], 10 ** fd * u[2])
    if v > LIMIT or v < -LIMIT:
        raise UnitError("'%s' is too large" % tok)
    return v


def parse_pressure_pa(token):
    """'30kPa' -> 30000 (int Pa, rounded half away from zero)."""
    return _parse(token, 0)


def parse_duration_ms(token):
    """'1.5min' -> 90000 (int ms, rounded half away from zero)."""
    return _parse(token, 1)


def parse_millihz(token):
    """'0.5Hz' -> 500 (int mHz, rounded half away from zero)."""
    return _parse(token, 2)


def parse_percent(token):
    """'40%' -> 40 (int percent, rounded half away from zero)."""
    return _parse(token, 3)


def parse_hz(token):
    """'50Hz' -> 50 (int Hz); a fraction of a Hz is an error (use parse_millihz)."""
    v = _parse(token, 2)
    if v % 1000:
        raise UnitError("'%s' must be a whole number of Hz" % token)
    return v // 1000


def parse_int(token):
    """Plain integer for counts: '3' -> 3, '-2' -> -2; units or decimals are errors."""
    neg, m, fd, unit = _split(token)
    if unit or fd:
        raise UnitError("'%s' is not a whole number" % token)
    if m > LIMIT:
        raise UnitError("'%s' is too large" % token)
    return -m if neg else m


def format_pa(pa, unit):
    """Integer Pa -> display string in unit, e.g. (30000, 'kPa') -> '30.0kPa'.

    Decimals: kPa 1, inHg 2, atm 3, every other unit 0. Rounded half away
    from zero; never prints '-0'. Integer maths only (large values make a
    transient big int, which is fine at display rates).
    """
    k = _find(_PRESSURE, unit)
    if k < 0:
        raise UnitError("unknown pressure unit '%s'" % unit)
    name, num, den = _PRESSURE[k]
    dec = _DECIMALS[k]
    neg = pa < 0
    q = _round(False, (-pa if neg else pa) * den * 10 ** dec, num)
    s = str(q)
    if dec:
        if len(s) <= dec:
            s = "0" * (dec + 1 - len(s)) + s
        s = s[:-dec] + "." + s[-dec:]
    if neg and q:
        s = "-" + s
    return s + name
